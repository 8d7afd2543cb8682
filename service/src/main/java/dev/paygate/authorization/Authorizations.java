package dev.paygate.authorization;

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
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.ListAuthorizationsRequest;
import dev.paygate.v1.ListAuthorizationsResponse;
import dev.paygate.v1.VoidAuthorizationRequest;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Authorizes, captures and voids payments for the owner of the account ({@code owner} is the
 * verified caller's subject; {@link Accounts} refuses anyone else). Invariants, each kept under
 * the account row lock:
 * <ul>
 *   <li>an approval never makes held + captured exceed the credit limit;</li>
 *   <li>only APPROVED authorizations hold credit, and each leaves APPROVED exactly once
 *       (capture, void or expiry), releasing exactly its amount;</li>
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
    private static final String COLUMNS = "id, account_id, amount, currency_code, merchant_id, merchant_category_code,"
            + " state, decline_reason, captured_amount, create_time, update_time, expire_time";
    /**
     * The account's authorizations since a time, counted up to a cap: the velocity rule only asks
     * whether the cap is reached. Read newest first along the (account_id, create_time) index, the
     * LIMIT stops after that many rows however many the window holds; without the order PostgreSQL
     * may scan the table and filter out the account's whole history (VelocityHistoryTest).
     */
    static final String COUNT_RECENT = "SELECT COUNT(*) FROM (SELECT 1 FROM authorizations"
            + " WHERE account_id = ? AND create_time > ? ORDER BY create_time DESC LIMIT ?) recent";

    private final Database database;
    private final Accounts accounts;
    private final IdempotencyStore idempotency;
    private final RiskRules risk;
    private final HoldProperties holds;
    private final Clock clock;
    private final MeterRegistry meters;
    private final PageTokens pageTokens;

    public Authorizations(Database database, Accounts accounts, IdempotencyStore idempotency, RiskRules risk,
                          HoldProperties holds, Clock clock, MeterRegistry meters, PageTokens pageTokens) {
        this.database = database;
        this.accounts = accounts;
        this.idempotency = idempotency;
        this.risk = risk;
        this.holds = holds;
        this.clock = clock;
        this.meters = meters;
        this.pageTokens = pageTokens;
    }

    public Outcome<Authorization> create(CreateAuthorizationRequest request, String key, String owner) {
        Moneys.requirePayable(request.getAuthorization().getAmount(), "authorization.amount");
        String accountId = ResourceNames.accountId(request.getParent());
        AtomicInteger expired = new AtomicInteger();
        Outcome<Authorization> outcome = database.inTransaction(!key.isEmpty(), tx -> {
            Account account = accounts.lockOwned(tx, accountId, owner);
            // Holds past expiry leave the balance now, so the CHECK on held agrees with what
            // available credit already says.
            expired.set(releaseExpired(tx, accountId));
            return idempotency.once(tx, accountId, key, CREATE, request, Authorization.parser(),
                    () -> authorize(tx, account, request.getAuthorization()));
        });
        countExpired(expired.get());
        idempotency.countCommitted(CREATE, outcome);
        if (!outcome.replayed()) {
            Authorization result = outcome.response();
            meters.counter("paygate.authorizations", "state", result.getState().name(),
                    "decline_reason", result.getDeclineReason().name()).increment();
        }
        return outcome;
    }

    /** Approves (and holds the amount) or declines one payment on a locked account. */
    private Authorization authorize(Tx tx, Account account, Authorization input) throws SQLException {
        String accountId = ResourceNames.accountId(account.getName());
        BigDecimal amount = Moneys.amount(input.getAmount());
        OffsetDateTime now = now();
        Optional<DeclineReason> decline = declineReason(tx, account, input, amount, now);
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
            expireTime = now.plus(holds.getTtl());
            created.setState(State.APPROVED).setExpireTime(DbTime.timestamp(expireTime));
            accounts.adjust(tx, accountId, amount, BigDecimal.ZERO);
        }
        Authorization authorization = created.build();
        insert(tx, accountId, authorization, amount, now, expireTime);
        return authorization;
    }

    private Optional<DeclineReason> declineReason(Tx tx, Account account, Authorization input, BigDecimal amount,
                                                  OffsetDateTime now) throws SQLException {
        if (account.getState() != Account.State.OPEN) {
            return Optional.of(DeclineReason.ACCOUNT_CLOSED);
        }
        if (!input.getAmount().getCurrencyCode().equals(account.getCurrencyCode())) {
            return Optional.of(DeclineReason.CURRENCY_MISMATCH);
        }
        String accountId = ResourceNames.accountId(account.getName());
        Optional<DeclineReason> risky = risk.evaluate(account.getName(), input.getAmount(), input.getMerchantCategoryCode(),
                (window, atMost) -> countSince(tx, accountId, now.minus(window), atMost));
        if (risky.isPresent()) {
            return risky;
        }
        if (amount.compareTo(Accounts.available(account)) > 0) {
            return Optional.of(DeclineReason.INSUFFICIENT_FUNDS);
        }
        return Optional.empty();
    }

    public Outcome<Authorization> capture(CaptureAuthorizationRequest request, String key, String owner) {
        if (request.hasAmount()) {
            Moneys.requirePayable(request.getAmount(), "amount");
        }
        String accountId = ResourceNames.accountId(request.getName());
        Outcome<Authorization> outcome = database.inTransaction(!key.isEmpty(), tx -> {
            accounts.lockOwned(tx, accountId, owner);
            return idempotency.once(tx, accountId, key, CAPTURE, request, Authorization.parser(),
                    () -> capture(tx, request));
        });
        idempotency.countCommitted(CAPTURE, outcome);
        if (!outcome.replayed()) {
            meters.counter("paygate.authorizations.captured").increment();
        }
        return outcome;
    }

    private Authorization capture(Tx tx, CaptureAuthorizationRequest request) throws SQLException {
        String accountId = ResourceNames.accountId(request.getName());
        Authorization current = requireApproved(tx, request.getName(), "captured");
        BigDecimal authorized = Moneys.amount(current.getAmount());
        BigDecimal captured = authorized;
        if (request.hasAmount()) {
            if (!request.getAmount().getCurrencyCode().equals(current.getAmount().getCurrencyCode())) {
                throw ApiException.invalidField("amount.currency_code",
                        "must be the authorization's currency " + current.getAmount().getCurrencyCode());
            }
            captured = Moneys.amount(request.getAmount());
            if (captured.compareTo(authorized) > 0) {
                throw ApiException.invalidField("amount", "must not exceed the authorized amount "
                        + authorized.stripTrailingZeros().toPlainString());
            }
        }
        // The whole hold is released; only the captured part moves to captured.
        accounts.adjust(tx, accountId, authorized.negate(), captured);
        return transition(tx, current, State.CAPTURED, captured);
    }

    public Outcome<Authorization> voidAuthorization(VoidAuthorizationRequest request, String key, String owner) {
        String accountId = ResourceNames.accountId(request.getName());
        Outcome<Authorization> outcome = database.inTransaction(!key.isEmpty(), tx -> {
            accounts.lockOwned(tx, accountId, owner);
            return idempotency.once(tx, accountId, key, VOID, request, Authorization.parser(), () -> {
                Authorization current = requireApproved(tx, request.getName(), "voided");
                accounts.adjust(tx, accountId, Moneys.amount(current.getAmount()).negate(), BigDecimal.ZERO);
                return transition(tx, current, State.VOIDED, null);
            });
        });
        idempotency.countCommitted(VOID, outcome);
        if (!outcome.replayed()) {
            meters.counter("paygate.authorizations.voided").increment();
        }
        return outcome;
    }

    /**
     * Expires the account's APPROVED holds whose expire_time has passed and releases exactly their
     * amounts; the caller holds the account lock. The stored update_time is the expire_time, so an
     * authorization reads the same before and after its release.
     *
     * @return how many holds were released
     */
    private int releaseExpired(Tx tx, String accountId) throws SQLException {
        OffsetDateTime now = now();
        BigDecimal[] due = tx.with("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM authorizations"
                + " WHERE account_id = ? AND state = ? AND expire_time <= ?", statement -> {
            statement.setString(1, accountId);
            statement.setString(2, State.APPROVED.name());
            statement.setObject(3, now);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return new BigDecimal[] {row.getBigDecimal(1), row.getBigDecimal(2)};
            }
        });
        int count = due[0].intValueExact();
        if (count == 0) {
            return 0;
        }
        accounts.adjust(tx, accountId, due[1].negate(), BigDecimal.ZERO);
        tx.with("UPDATE authorizations SET state = ?, update_time = expire_time"
                + " WHERE account_id = ? AND state = ? AND expire_time <= ?", statement -> {
            statement.setString(1, State.EXPIRED.name());
            statement.setString(2, accountId);
            statement.setString(3, State.APPROVED.name());
            statement.setObject(4, now);
            return statement.executeUpdate();
        });
        return count;
    }

    /**
     * Releases the account's expired holds in a transaction of its own, unless another transaction
     * holds the account (another replica's sweep, or a call: it then waits for a later sweep).
     */
    int releaseExpiredIfFree(String accountId) {
        int released = database.inTransaction(tx -> accounts.lockIfFree(tx, accountId).isPresent()
                ? releaseExpired(tx, accountId) : 0);
        countExpired(released);
        return released;
    }

    /** Up to {@code limit} accounts after {@code afterAccountId} (in id order) with holds past expiry. */
    List<String> accountsWithExpiredHolds(String afterAccountId, int limit) {
        return database.inTransaction(tx -> tx.with("SELECT DISTINCT account_id FROM authorizations"
                + " WHERE state = ? AND expire_time <= ? AND account_id > ? ORDER BY account_id", statement -> {
            statement.setString(1, State.APPROVED.name());
            statement.setObject(2, now());
            statement.setString(3, afterAccountId);
            statement.setMaxRows(limit);
            List<String> accountIds = new ArrayList<>();
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    accountIds.add(row.getString(1));
                }
            }
            return accountIds;
        }));
    }

    private void countExpired(int released) {
        if (released > 0) {
            meters.counter("paygate.holds.expired").increment(released);
        }
    }

    public Authorization get(String name, String owner) {
        String accountId = ResourceNames.accountId(name);
        return database.inTransaction(tx -> {
            accounts.findOwned(tx, accountId, owner);
            return find(tx, accountId, ResourceNames.authorizationId(name));
        }).map(this::asOfNow).orElseThrow(() -> ApiException.notFound(ErrorReason.AUTHORIZATION_NOT_FOUND, name));
    }

    public ListAuthorizationsResponse list(ListAuthorizationsRequest request, String owner) {
        String accountId = ResourceNames.accountId(request.getParent());
        int pageSize = request.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : request.getPageSize();
        String filter = request.getState() == State.STATE_UNSPECIFIED ? "" : request.getState().name();
        PageTokens.Position after = request.getPageToken().isEmpty() ? null
                : pageTokens.decode(request.getParent(), filter, request.getPageToken());
        return database.inTransaction(tx -> {
            accounts.findOwned(tx, accountId, owner);
            StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM authorizations WHERE account_id = ?");
            // A hold past its expire_time is EXPIRED from that moment, released or not.
            if (filter.equals(State.APPROVED.name())) {
                sql.append(" AND state = ? AND expire_time > ?");
            } else if (filter.equals(State.EXPIRED.name())) {
                sql.append(" AND (state = ? OR (state = 'APPROVED' AND expire_time <= ?))");
            } else if (!filter.isEmpty()) {
                sql.append(" AND state = ?");
            }
            if (after != null) {
                sql.append(" AND (create_time < ? OR (create_time = ? AND id < ?))");
            }
            sql.append(" ORDER BY create_time DESC, id DESC");
            return tx.with(sql.toString(), statement -> {
                int i = 1;
                statement.setString(i++, accountId);
                if (!filter.isEmpty()) {
                    statement.setString(i++, filter);
                }
                if (filter.equals(State.APPROVED.name()) || filter.equals(State.EXPIRED.name())) {
                    statement.setObject(i++, now());
                }
                if (after != null) {
                    OffsetDateTime position = after.createTime().atOffset(ZoneOffset.UTC);
                    statement.setObject(i++, position);
                    statement.setObject(i++, position);
                    statement.setString(i++, after.id());
                }
                // One extra row tells whether another page exists.
                statement.setMaxRows(pageSize + 1);
                ListAuthorizationsResponse.Builder response = ListAuthorizationsResponse.newBuilder();
                List<OffsetDateTime> times = new ArrayList<>();
                try (ResultSet row = statement.executeQuery()) {
                    while (row.next()) {
                        response.addAuthorizations(asOfNow(toAuthorization(row)));
                        times.add(row.getObject("create_time", OffsetDateTime.class));
                    }
                }
                if (response.getAuthorizationsCount() > pageSize) {
                    response.removeAuthorizations(pageSize);
                    Authorization last = response.getAuthorizations(pageSize - 1);
                    response.setNextPageToken(pageTokens.encode(request.getParent(), filter, new PageTokens.Position(
                            times.get(pageSize - 1).toInstant(), ResourceNames.authorizationId(last.getName()))));
                }
                return response.build();
            });
        });
    }

    private Authorization requireApproved(Tx tx, String name, String verb) throws SQLException {
        Authorization current = find(tx, ResourceNames.accountId(name), ResourceNames.authorizationId(name))
                .orElseThrow(() -> ApiException.notFound(ErrorReason.AUTHORIZATION_NOT_FOUND, name));
        // Expired reads the same whether or not the sweep has released the hold yet.
        if (asOfNow(current).getState() == State.EXPIRED) {
            throw ApiException.failedPrecondition(ErrorReason.AUTHORIZATION_EXPIRED,
                    name + " expired at its expire_time and can no longer be " + verb,
                    Map.of("state", State.EXPIRED.name()));
        }
        if (current.getState() != State.APPROVED) {
            throw ApiException.failedPrecondition(ErrorReason.AUTHORIZATION_NOT_APPROVED,
                    name + " is " + current.getState() + "; only an APPROVED authorization can be " + verb,
                    Map.of("state", current.getState().name()));
        }
        return current;
    }

    private Authorization transition(Tx tx, Authorization current, State state, BigDecimal capturedAmount)
            throws SQLException {
        OffsetDateTime now = now();
        tx.with("UPDATE authorizations SET state = ?, captured_amount = ?, update_time = ? WHERE id = ? AND state = ?",
                statement -> {
                    statement.setString(1, state.name());
                    statement.setBigDecimal(2, capturedAmount);
                    statement.setObject(3, now);
                    statement.setString(4, ResourceNames.authorizationId(current.getName()));
                    statement.setString(5, State.APPROVED.name());
                    if (statement.executeUpdate() != 1) {
                        throw new IllegalStateException("authorization changed outside the account lock: " + current.getName());
                    }
                    return null;
                });
        Authorization.Builder updated = current.toBuilder().setState(state).setUpdateTime(DbTime.timestamp(now));
        if (capturedAmount != null) {
            updated.setCapturedAmount(Moneys.money(capturedAmount, current.getAmount().getCurrencyCode()));
        }
        return updated.build();
    }

    private void insert(Tx tx, String accountId, Authorization authorization, BigDecimal amount, OffsetDateTime now,
                        OffsetDateTime expireTime) throws SQLException {
        tx.with("INSERT INTO authorizations (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)", statement -> {
            statement.setString(1, ResourceNames.authorizationId(authorization.getName()));
            statement.setString(2, accountId);
            statement.setBigDecimal(3, amount);
            statement.setString(4, authorization.getAmount().getCurrencyCode());
            statement.setString(5, authorization.getMerchantId());
            statement.setString(6, authorization.getMerchantCategoryCode());
            statement.setString(7, authorization.getState().name());
            statement.setString(8, authorization.getState() == State.DECLINED
                    ? authorization.getDeclineReason().name() : null);
            statement.setObject(9, now);
            statement.setObject(10, now);
            statement.setObject(11, expireTime);
            return statement.executeUpdate();
        });
    }

    private Optional<Authorization> find(Tx tx, String accountId, String id) throws SQLException {
        return tx.with("SELECT " + COLUMNS + " FROM authorizations WHERE id = ? AND account_id = ?", statement -> {
            statement.setString(1, id);
            statement.setString(2, accountId);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(toAuthorization(row)) : Optional.empty();
            }
        });
    }

    private int countSince(Tx tx, String accountId, OffsetDateTime since, int atMost) throws SQLException {
        return tx.with(COUNT_RECENT, (PreparedStatement statement) -> {
            statement.setString(1, accountId);
            statement.setObject(2, since);
            statement.setInt(3, atMost);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        });
    }

    /** The authorization as a reader sees it now: an APPROVED hold past its expire_time is EXPIRED. */
    private Authorization asOfNow(Authorization stored) {
        if (stored.getState() != State.APPROVED || !isExpired(stored)) {
            return stored;
        }
        return stored.toBuilder().setState(State.EXPIRED).setUpdateTime(stored.getExpireTime()).build();
    }

    /** Whether the hold's expire_time has passed, to the nanosecond (not just the whole second). */
    private boolean isExpired(Authorization authorization) {
        Instant expireTime = Instant.ofEpochSecond(authorization.getExpireTime().getSeconds(),
                authorization.getExpireTime().getNanos());
        return !expireTime.isAfter(clock.instant());
    }

    private OffsetDateTime now() {
        return DbTime.now(clock);
    }

    private static Authorization toAuthorization(ResultSet row) throws SQLException {
        String currency = row.getString("currency_code");
        Authorization.Builder authorization = Authorization.newBuilder()
                .setName(ResourceNames.authorization(row.getString("account_id"), row.getString("id")))
                .setAmount(Moneys.money(row.getBigDecimal("amount"), currency))
                .setMerchantId(row.getString("merchant_id"))
                .setMerchantCategoryCode(row.getString("merchant_category_code"))
                .setState(State.valueOf(row.getString("state")))
                .setCreateTime(DbTime.timestamp(row.getObject("create_time", OffsetDateTime.class)))
                .setUpdateTime(DbTime.timestamp(row.getObject("update_time", OffsetDateTime.class)));
        String declineReason = row.getString("decline_reason");
        if (declineReason != null) {
            authorization.setDeclineReason(DeclineReason.valueOf(declineReason));
        }
        BigDecimal captured = row.getBigDecimal("captured_amount");
        if (captured != null) {
            authorization.setCapturedAmount(Moneys.money(captured, currency));
        }
        OffsetDateTime expire = row.getObject("expire_time", OffsetDateTime.class);
        if (expire != null) {
            authorization.setExpireTime(DbTime.timestamp(expire));
        }
        return authorization.build();
    }
}
