package dev.paygate.authorization;

import com.google.protobuf.Message;
import com.google.type.Money;
import dev.paygate.account.Accounts;
import dev.paygate.account.ResourceNames;
import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.idempotency.IdempotencyStore;
import dev.paygate.idempotency.Outcome;
import dev.paygate.money.Moneys;
import dev.paygate.persistence.Database;
import dev.paygate.persistence.DbTime;
import dev.paygate.persistence.Tx;
import dev.paygate.risk.RiskRules;
import dev.paygate.v1.Account;
import dev.paygate.v1.AdjustAuthorizationRequest;
import dev.paygate.v1.AdjustAuthorizationResponse;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.AuthorizationEvent.Type;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.ExtendAuthorizationRequest;
import dev.paygate.v1.ListAuthorizationsRequest;
import dev.paygate.v1.ListAuthorizationsResponse;
import dev.paygate.v1.ReverseAuthorizationRequest;
import dev.paygate.v1.VoidAuthorizationRequest;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Authorizes, captures, reverses and voids payments for the owner of the account ({@code owner} is the
 * verified caller's subject; {@link Accounts} refuses anyone else). Each use case is one
 * transaction under the account row lock, in which these invariants hold:
 * <ul>
 *   <li>an approval never makes held + captured exceed the credit limit ({@link AuthorizationRules#decline});</li>
 *   <li>only APPROVED authorizations hold credit, each its amount less what was captured of it in
 *       parts; a partial reversal lowers its amount and releases that much; each leaves APPROVED
 *       exactly once (final capture, void or expiry), releasing exactly what it still holds
 *       ({@link AuthorizationRules});</li>
 *   <li>every change of held or captured, and every decline, is recorded by one event in the same
 *       transaction ({@link BalanceLedger}); a refused call, a replay or a rollback records none;</li>
 *   <li>a keyed mutation is processed once: retries get the stored first response;</li>
 *   <li>counters move after the commit, once per processed mutation, never for a replay.</li>
 * </ul>
 */
@Singleton
public class Authorizations {

    private static final int DEFAULT_PAGE_SIZE = 50;
    private static final String CREATE = "CreateAuthorization";
    private static final String CAPTURE = "CaptureAuthorization";
    private static final String VOID = "VoidAuthorization";
    private static final String REVERSE = "ReverseAuthorization";
    private static final String ADJUST = "AdjustAuthorization";
    private static final String EXTEND = "ExtendAuthorization";
    private static final List<Type> ADJUSTMENTS = List.of(Type.ADJUSTED, Type.ADJUSTMENT_DECLINED);

    private final Database database;
    private final Accounts accounts;
    private final AuthorizationStore store;
    private final IdempotencyStore idempotency;
    private final RiskRules risk;
    private final HoldProperties holds;
    private final Clock clock;
    private final AuthorizationMetrics metrics;
    private final PageTokens pageTokens;
    private final BalanceLedger ledger;
    private final AuthorizationEventStore events;

    public Authorizations(Database database, Accounts accounts, AuthorizationStore store, IdempotencyStore idempotency,
                   RiskRules risk, HoldProperties holds, Clock clock, AuthorizationMetrics metrics,
                   PageTokens pageTokens, BalanceLedger ledger, AuthorizationEventStore events) {
        this.database = database;
        this.accounts = accounts;
        this.store = store;
        this.idempotency = idempotency;
        this.risk = risk;
        this.holds = holds;
        this.clock = clock;
        this.metrics = metrics;
        this.pageTokens = pageTokens;
        this.ledger = ledger;
        this.events = events;
    }

    public Outcome<Authorization> create(CreateAuthorizationRequest request, String key, String owner) {
        Moneys.requirePayable(request.getAuthorization().getAmount(), "authorization.amount");
        String accountId = ResourceNames.accountId(request.getParent());
        AtomicInteger expired = new AtomicInteger();
        Outcome<Authorization> outcome = database.inTransaction(!key.isEmpty(), tx -> {
            Accounts.Locked locked = accounts.lockOwnedSeeingDueHolds(tx, accountId, owner);
            Account account = releaseDue(tx, locked, expired);
            return idempotency.once(tx, accountId, key, CREATE, request, Authorization.parser(),
                    () -> Outcome.applied(authorize(tx, account, request.getAuthorization(), EventSource.call(owner))));
        });
        metrics.expired(expired.get());
        idempotency.countCommitted(CREATE, outcome);
        metrics.created(outcome);
        return outcome;
    }

    /**
     * Holds past expiry leave the balance now, so the CHECK on held agrees with what available
     * credit says. The lock's statement says whether there are any: a hold that expires after it is
     * left to the sweep, as one expiring after the call is. The account is then the stored held less
     * what this transaction released, not less what the lock's statement counted as due: another
     * transaction may have released those while this one waited for the lock.
     */
    private Account releaseDue(Tx tx, Accounts.Locked locked, AtomicInteger expired) throws SQLException {
        if (!locked.holdsDue()) {
            return locked.account();
        }
        List<BalanceLedger.DueHold> released = releaseExpired(tx, ResourceNames.accountId(locked.account().getName()),
                EventSource.expiry());
        expired.set(released.size());
        return locked.afterReleasing(BalanceLedger.total(released));
    }

    /** Approves (and holds the amount) or declines one payment on a locked account, and records which. */
    private Authorization authorize(Tx tx, Account account, Authorization input, EventSource source)
            throws SQLException {
        String accountId = ResourceNames.accountId(account.getName());
        OffsetDateTime now = DbTime.now(clock);
        Optional<DeclineReason> decline = AuthorizationRules.decline(account, input.getAmount(),
                () -> risk.evaluate(account.getName(), input.getAmount(), input.getMerchantCategoryCode(),
                        (window, atMost, limit) -> store.countSince(tx, accountId, now.minus(window), atMost, limit)));
        Authorization.Builder created = Authorization.newBuilder()
                .setName(ResourceNames.authorization(accountId, UUID.randomUUID().toString()))
                .setAmount(input.getAmount())
                .setMerchantId(input.getMerchantId())
                .setMerchantCategoryCode(input.getMerchantCategoryCode())
                .setCreateTime(DbTime.timestamp(now))
                .setUpdateTime(DbTime.timestamp(now));
        OffsetDateTime expireTime = null;
        if (decline.isPresent()) {
            created.setState(State.DECLINED).setDeclineReason(decline.get());
        } else {
            expireTime = now.plus(holds.ttl());
            created.setState(State.APPROVED).setExpireTime(DbTime.timestamp(expireTime));
        }
        Authorization authorization = created.build();
        store.insert(tx, accountId, authorization, now, expireTime);
        BigDecimal held = decline.isPresent() ? BigDecimal.ZERO : Moneys.amount(input.getAmount());
        ledger.record(tx, accountId, decline.isPresent() ? Type.DECLINED : Type.APPROVED,
                ResourceNames.authorizationId(authorization.getName()), input.getAmount().getCurrencyCode(),
                held, BigDecimal.ZERO, source, now);
        return authorization;
    }

    public Outcome<Authorization> capture(CaptureAuthorizationRequest request, String key, String owner) {
        if (request.hasAmount()) {
            Moneys.requirePayable(request.getAmount(), "amount");
        }
        boolean finalCapture = !request.hasFinalCapture() || request.getFinalCapture();
        if (!finalCapture && key.isEmpty()) {
            throw ApiException.invalidField("request_id", "is required when final_capture is false (or send an"
                    + " idempotency-key): a repeat of a capture that keeps the authorization open cannot be told"
                    + " from a second capture without one");
        }
        Optional<Money> amount = request.hasAmount() ? Optional.of(request.getAmount()) : Optional.empty();
        Outcome<Authorization> outcome = mutate(request.getName(), key, owner, CAPTURE, request,
                current -> AuthorizationRules.capture(current, amount, finalCapture, clock.instant()));
        idempotency.countCommitted(CAPTURE, outcome);
        metrics.captured(outcome);
        return outcome;
    }

    public Outcome<Authorization> voidAuthorization(VoidAuthorizationRequest request, String key, String owner) {
        Outcome<Authorization> outcome = mutate(request.getName(), key, owner, VOID, request,
                current -> AuthorizationRules.reverse(current, Optional.empty(), !key.isEmpty(), clock.instant()));
        idempotency.countCommitted(VOID, outcome);
        metrics.voided(outcome);
        return outcome;
    }

    /** Releases part or all of what an authorization still holds; all of it is a void. */
    public Outcome<Authorization> reverse(ReverseAuthorizationRequest request, String key, String owner) {
        if (request.hasAmount()) {
            Moneys.requirePayable(request.getAmount(), "amount");
        }
        Optional<Money> amount = request.hasAmount() ? Optional.of(request.getAmount()) : Optional.empty();
        Outcome<Authorization> outcome = mutate(request.getName(), key, owner, REVERSE, request,
                current -> AuthorizationRules.reverse(current, amount, !key.isEmpty(), clock.instant()));
        idempotency.countCommitted(REVERSE, outcome);
        metrics.reversed(outcome);
        return outcome;
    }

    /** Moves an APPROVED authorization's expire_time later, within {@link HoldProperties#maxLifetime}. */
    public Outcome<Authorization> extend(ExtendAuthorizationRequest request, String key, String owner) {
        Outcome<Authorization> outcome = mutate(request.getName(), key, owner, EXTEND, request,
                current -> AuthorizationRules.extend(current, request.getExpireTime(), holds.maxLifetime(),
                        clock.instant()));
        idempotency.countCommitted(EXTEND, outcome);
        metrics.extended(outcome);
        return outcome;
    }

    /**
     * Adjusts an uncaptured APPROVED authorization's amount: down releases the difference; up
     * holds it if the difference passes the same decision as a new payment, and otherwise
     * answers with the reason and changes nothing but the ADJUSTMENT_DECLINED event. Both count
     * towards {@link HoldProperties#maxAdjustments}, read under the account lock, so two
     * adjustments racing cannot both take the last one.
     */
    public Outcome<AdjustAuthorizationResponse> adjust(AdjustAuthorizationRequest request, String key, String owner) {
        Moneys.requirePayable(request.getAmount(), "amount");
        String name = request.getName();
        String accountId = ResourceNames.accountId(name);
        String authorizationId = ResourceNames.authorizationId(name);
        AtomicInteger expired = new AtomicInteger();
        Outcome<AdjustAuthorizationResponse> outcome = database.inTransaction(!key.isEmpty(), tx -> {
            // An increase is held as a create's amount is: due holds leave held first (releaseDue).
            Account account = releaseDue(tx, accounts.lockOwnedSeeingDueHolds(tx, accountId, owner), expired);
            return idempotency.once(tx, accountId, key, ADJUST, request, AdjustAuthorizationResponse.parser(), () -> {
                Authorization current = store.find(tx, accountId, authorizationId)
                        .orElseThrow(() -> ApiException.notFound(ErrorReason.AUTHORIZATION_NOT_FOUND, name));
                if (AuthorizationRules.isAdjustedTo(current, request.getAmount(), clock.instant())) {
                    return new Outcome<>(AdjustAuthorizationResponse.newBuilder().setAuthorization(current).build(), true);
                }
                AuthorizationRules.requireAdjustable(current, request.getAmount(),
                        events.count(tx, accountId, authorizationId, ADJUSTMENTS), holds.maxAdjustments(),
                        clock.instant());
                OffsetDateTime now = DbTime.now(clock);
                String currency = current.getAmount().getCurrencyCode();
                BigDecimal difference = Moneys.amount(request.getAmount()).subtract(Moneys.amount(current.getAmount()));
                if (difference.signum() > 0) {
                    Money more = Moneys.money(difference, currency);
                    Optional<DeclineReason> decline = AuthorizationRules.decline(account, more,
                            () -> risk.evaluate(account.getName(), more, current.getMerchantCategoryCode(),
                                    (window, atMost, limit) -> store.countSince(tx, accountId, now.minus(window), atMost,
                                            limit)));
                    if (decline.isPresent()) {
                        ledger.record(tx, accountId, Type.ADJUSTMENT_DECLINED, authorizationId, currency,
                                BigDecimal.ZERO, BigDecimal.ZERO, EventSource.call(owner), now);
                        return Outcome.applied(AdjustAuthorizationResponse.newBuilder().setAuthorization(current)
                                .setDeclineReason(decline.get()).build());
                    }
                }
                store.update(tx, current, State.APPROVED, Moneys.amount(request.getAmount()), null,
                        AuthorizationRules.expireTime(current), now);
                ledger.record(tx, accountId, Type.ADJUSTED, authorizationId, currency, difference, BigDecimal.ZERO,
                        EventSource.call(owner), now);
                return Outcome.applied(AdjustAuthorizationResponse.newBuilder().setAuthorization(current.toBuilder()
                        .setAmount(Moneys.money(Moneys.amount(request.getAmount()), currency))
                        .setUpdateTime(DbTime.timestamp(now))).build());
            });
        });
        metrics.expired(expired.get());
        idempotency.countCommitted(ADJUST, outcome);
        metrics.adjusted(outcome);
        return outcome;
    }

    /**
     * Applies the transition {@code decision} gives for the authorization as stored, under the
     * account lock, once per key. Empty from the decision: the same request already did it, and
     * the authorization is the answer as it is; nothing changes.
     */
    private Outcome<Authorization> mutate(String name, String key, String owner, String method, Message request,
                                          Function<Authorization, Optional<AuthorizationRules.Transition>> decision) {
        String accountId = ResourceNames.accountId(name);
        return database.inTransaction(!key.isEmpty(), tx -> {
            Account account = accounts.lockOwned(tx, accountId, owner);
            return idempotency.once(tx, accountId, key, method, request, Authorization.parser(), () -> {
                Authorization current = store.find(tx, accountId, ResourceNames.authorizationId(name))
                        .orElseThrow(() -> ApiException.notFound(ErrorReason.AUTHORIZATION_NOT_FOUND, name));
                Optional<AuthorizationRules.Transition> decided = decision.apply(current);
                if (decided.isEmpty()) {
                    return new Outcome<>(current, true);
                }
                AuthorizationRules.Transition transition = decided.get();
                OffsetDateTime now = DbTime.now(clock);
                store.update(tx, current, transition.state(), transition.amount(), transition.capturedAmount(),
                        transition.expireTime(), now);
                ledger.record(tx, accountId, transition.event(), ResourceNames.authorizationId(name),
                        account.getCurrencyCode(), transition.heldDelta(), transition.capturedDelta(),
                        EventSource.call(owner), now);
                Authorization.Builder updated = current.toBuilder().setState(transition.state())
                        .setAmount(Moneys.money(transition.amount(), current.getAmount().getCurrencyCode()))
                        .setExpireTime(DbTime.timestamp(transition.expireTime()))
                        .setUpdateTime(DbTime.timestamp(now));
                if (transition.capturedAmount() != null) {
                    updated.setCapturedAmount(Moneys.money(transition.capturedAmount(),
                            current.getAmount().getCurrencyCode()));
                }
                return Outcome.applied(updated.build());
            });
        });
    }

    /**
     * Expires the account's APPROVED holds whose expire_time has passed and releases exactly their
     * amounts, one EXPIRED event each; the caller holds the account lock.
     *
     * @return the holds released, none if another transaction released them first
     */
    private List<BalanceLedger.DueHold> releaseExpired(Tx tx, String accountId, EventSource source)
            throws SQLException {
        OffsetDateTime now = DbTime.now(clock);
        List<BalanceLedger.DueHold> due = store.dueHolds(tx, accountId, now);
        if (due.isEmpty()) {
            return due;
        }
        store.expireDue(tx, accountId, now);
        ledger.expire(tx, accountId, due, source, now);
        return due;
    }

    /**
     * Releases the account's expired holds in a transaction of its own, unless another transaction
     * holds the account (another replica's sweep, or a call: it then waits for a later sweep).
     */
    int releaseExpiredIfFree(String accountId) {
        int released = database.inTransaction(tx -> accounts.lockIfFree(tx, accountId).isPresent()
                ? releaseExpired(tx, accountId, EventSource.expiry()).size() : 0);
        metrics.expired(released);
        return released;
    }

    /** Up to {@code limit} accounts after {@code afterAccountId} (in id order) with holds past expiry. */
    List<String> accountsWithExpiredHolds(String afterAccountId, int limit) {
        return database.inTransaction(tx -> store.accountsWithDueHolds(tx, afterAccountId, limit, DbTime.now(clock)));
    }

    public Authorization get(String name, String owner) {
        String accountId = ResourceNames.accountId(name);
        return database.inTransaction(tx -> {
            accounts.findOwned(tx, accountId, owner);
            return store.find(tx, accountId, ResourceNames.authorizationId(name));
        }).map(stored -> AuthorizationRules.asOf(stored, clock.instant()))
                .orElseThrow(() -> ApiException.notFound(ErrorReason.AUTHORIZATION_NOT_FOUND, name));
    }

    public ListAuthorizationsResponse list(ListAuthorizationsRequest request, String owner) {
        String accountId = ResourceNames.accountId(request.getParent());
        int pageSize = request.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : request.getPageSize();
        String filter = request.getState() == State.STATE_UNSPECIFIED ? "" : request.getState().name();
        PageTokens.Position after = request.getPageToken().isEmpty() ? null
                : pageTokens.decode(request.getParent(), filter, request.getPageToken());
        // One extra row tells whether another page exists.
        List<AuthorizationStore.Row> rows = database.inTransaction(tx -> {
            accounts.findOwned(tx, accountId, owner);
            return store.page(tx, accountId, filter, after, pageSize + 1, DbTime.now(clock));
        });
        ListAuthorizationsResponse.Builder response = ListAuthorizationsResponse.newBuilder();
        rows.stream().limit(pageSize)
                .forEach(row -> response.addAuthorizations(AuthorizationRules.asOf(row.authorization(), clock.instant())));
        if (rows.size() > pageSize) {
            AuthorizationStore.Row last = rows.get(pageSize - 1);
            response.setNextPageToken(pageTokens.encode(request.getParent(), filter, new PageTokens.Position(
                    last.createTime().toInstant(), ResourceNames.authorizationId(last.authorization().getName()))));
        }
        return response.build();
    }
}
