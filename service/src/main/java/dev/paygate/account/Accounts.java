package dev.paygate.account;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.idempotency.IdempotencyStore;
import dev.paygate.idempotency.Outcome;
import dev.paygate.money.Moneys;
import dev.paygate.persistence.Database;
import dev.paygate.persistence.DbTime;
import dev.paygate.persistence.Tx;
import dev.paygate.v1.Account;
import dev.paygate.v1.CreateAccountRequest;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Accounts and their balances. Invariants: held + captured never exceeds the credit limit; every
 * change to held or captured happens while the account row is locked ({@link #lock}); an account
 * belongs to the subject that created it, and for anyone else it might as well not exist: every
 * read or change on behalf of a caller goes through {@link #findOwned} or {@link #lockOwned}, which
 * answer ACCOUNT_ACCESS_DENIED for a foreign and for a missing account alike (AIP-211).
 */
@Singleton
public class Accounts {

    /**
     * Idempotency keys of CreateAccount are not tied to an account: they are scoped to the owner,
     * so two callers' keys never meet. Account scopes are bare UUIDs and never start like this.
     */
    static final String CREATE_SCOPE_PREFIX = "owner:";
    static final String CREATE_METHOD = "CreateAccount";

    /**
     * Adds two deltas to held and captured of the account of an id (parameters in that order) and
     * returns its held and captured after: for a locked account, as its one statement or within another.
     */
    public static final String ADJUST = "UPDATE accounts SET held = held + ?, captured = captured + ? WHERE id = ?"
            + " RETURNING held, captured";
    /** The held and captured of the account of an id, as stored: for a locked account, within another statement. */
    public static final String BALANCE = "SELECT held, captured FROM accounts WHERE id = ?";

    private final Database database;
    private final IdempotencyStore idempotency;
    private final Clock clock;

    public Accounts(Database database, IdempotencyStore idempotency, Clock clock) {
        this.database = database;
        this.idempotency = idempotency;
        this.clock = clock;
    }

    public Outcome<Account> create(CreateAccountRequest request, String idempotencyKey, String owner) {
        Moneys.requireCurrency(request.getAccount().getCurrencyCode(), "account.currency_code");
        Moneys.requirePayable(request.getAccount().getCreditLimit(), "account.credit_limit");
        // Two concurrent first tries with one key: the loser's key insert conflicts and rolls
        // back; its second attempt then finds and returns the winner's account.
        for (int attempt = 1; ; attempt++) {
            try {
                Outcome<Account> outcome = database.inTransaction(!idempotencyKey.isEmpty(), tx -> idempotency.once(tx,
                        CREATE_SCOPE_PREFIX + owner, idempotencyKey, CREATE_METHOD, request, Account.parser(),
                        () -> Outcome.applied(insert(tx, request.getAccount(), owner))));
                idempotency.countCommitted(CREATE_METHOD, outcome);
                return outcome;
            } catch (ApiException e) {
                if (attempt >= 2 || idempotencyKey.isEmpty() || e.code() != ApiException.Code.ABORTED) {
                    throw e;
                }
            }
        }
    }

    private Account insert(Tx tx, Account input, String owner) throws SQLException {
        if (!input.getCreditLimit().getCurrencyCode().equals(input.getCurrencyCode())) {
            throw ApiException.invalidField("account.credit_limit.currency_code",
                    "must equal account.currency_code " + input.getCurrencyCode());
        }
        String id = UUID.randomUUID().toString();
        OffsetDateTime now = DbTime.now(clock);
        BigDecimal limit = Moneys.amount(input.getCreditLimit());
        tx.with("INSERT INTO accounts (id, currency_code, credit_limit, held, captured, state, display_name, create_time,"
                + " owner) VALUES (?, ?, ?, 0, 0, ?, ?, ?, ?)", statement -> {
            statement.setString(1, id);
            statement.setString(2, input.getCurrencyCode());
            statement.setBigDecimal(3, limit);
            statement.setString(4, Account.State.OPEN.name());
            statement.setString(5, input.getDisplayName());
            DbTime.bind(statement, 6, now);
            statement.setString(7, owner);
            return statement.executeUpdate();
        });
        return find(tx, id, owner, Lock.NONE).orElseThrow();
    }

    public Account get(String name, String owner) {
        return database.inTransaction(tx -> findOwned(tx, ResourceNames.accountId(name), owner));
    }

    /** The owner's account as of this transaction, without locking it. */
    public Account findOwned(Tx tx, String accountId, String owner) throws SQLException {
        return find(tx, accountId, owner, Lock.NONE).orElseThrow(() -> accessDenied(accountId));
    }

    /**
     * Locks the owner's account row until the transaction ends, serialising every balance change
     * and idempotency check of this account, across threads and across service replicas. Another
     * owner's row is not even locked: the ownership test is part of the locking query.
     */
    public Account lockOwned(Tx tx, String accountId, String owner) throws SQLException {
        return find(tx, accountId, owner, Lock.WAIT).orElseThrow(() -> accessDenied(accountId));
    }

    /**
     * {@link #lockOwned}, also telling whether the account has APPROVED holds past their
     * expire_time that nothing released yet (same statement): a writer then need not ask for them in
     * a statement of its own. When there are, see {@link Locked} before relying on the account.
     */
    public Locked lockOwnedSeeingDueHolds(Tx tx, String accountId, String owner) throws SQLException {
        return findRow(tx, accountId, owner, Lock.WAIT).orElseThrow(() -> accessDenied(accountId));
    }

    /**
     * A locked account, whether it has holds past their expire_time not yet released, and its held
     * amount as stored. Under READ COMMITTED a locking statement that waited for the row reads the
     * row as the lock holder committed it but its sub-selects from the statement's start (PostgreSQL,
     * "Read Committed Isolation Level"): holds another transaction released meanwhile are then both
     * gone from the stored held and still counted as due, so {@code account} may leave them out twice.
     */
    public record Locked(Account account, boolean holdsDue, BigDecimal storedHeld) {

        /** The account once this transaction released {@code released} of the stored held (exact: the row is locked). */
        public Account afterReleasing(BigDecimal released) {
            return withBalance(account.toBuilder(), account.getCurrencyCode(), Moneys.amount(account.getCreditLimit()),
                    storedHeld.subtract(released), Moneys.amount(account.getCaptured())).build();
        }
    }

    /**
     * Locks the account row for work that acts for no caller (the hold expiry sweep), unless
     * another transaction holds it: then empty at once, so replicas sweeping together share the
     * work instead of queueing behind each other (SKIP LOCKED).
     */
    public Optional<Account> lockIfFree(Tx tx, String accountId) throws SQLException {
        return find(tx, accountId, null, Lock.SKIP_LOCKED);
    }

    /**
     * How a find locks the row, with its statement's text built once rather than per call. NO KEY
     * UPDATE, as the account's id is never changed: it still excludes every other locker of the row
     * but not the FOR KEY SHARE lock an authorization insert takes on it for its foreign key.
     */
    private enum Lock {
        NONE(""), WAIT(" FOR NO KEY UPDATE"), SKIP_LOCKED(" FOR NO KEY UPDATE SKIP LOCKED");

        private static final String EXPIRED_HOLDS = " FROM authorizations WHERE account_id = accounts.id"
                + " AND state = 'APPROVED' AND expire_time <= ?";
        private static final String FIND = "SELECT id, currency_code, credit_limit, held, captured, state, display_name,"
                + " (EXTRACT(EPOCH FROM create_time) * 1000000)::int8 AS create_time_micros,"
                + " (SELECT COALESCE(SUM(amount - COALESCE(captured_amount, 0)), 0)" + EXPIRED_HOLDS
                + ") AS expired_held,"
                + " EXISTS (SELECT 1" + EXPIRED_HOLDS + ") AS holds_due FROM accounts WHERE id = ?";

        private final String findById;
        private final String findByIdAndOwner;

        Lock(String clause) {
            this.findById = FIND + clause;
            this.findByIdAndOwner = FIND + " AND owner = ?" + clause;
        }
    }

    private static ApiException accessDenied(String accountId) {
        String name = ResourceNames.account(accountId);
        return ApiException.permissionDenied(ErrorReason.ACCOUNT_ACCESS_DENIED,
                "the caller may not access " + name + " (or it does not exist)", Map.of("resource", name));
    }

    /** Adds the deltas to held and captured of a locked account; returns its balance after. */
    public Balance adjust(Tx tx, String accountId, BigDecimal heldDelta, BigDecimal capturedDelta) throws SQLException {
        return tx.with(ADJUST, statement -> {
            statement.setBigDecimal(1, heldDelta);
            statement.setBigDecimal(2, capturedDelta);
            statement.setString(3, accountId);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return new Balance(row.getBigDecimal(1), row.getBigDecimal(2));
            }
        });
    }

    /** The account's available credit: limit - held - captured. */
    public static BigDecimal available(Account account) {
        return Moneys.amount(account.getAvailable());
    }

    /**
     * The account of this id, or of this id and owner when {@code owner} is not null. Its held
     * amount leaves out holds past their expire_time that no sweep has released yet: a hold stops
     * reducing available credit at its expire_time, not when a job gets to it.
     */
    private Optional<Account> find(Tx tx, String id, String owner, Lock lock) throws SQLException {
        return findRow(tx, id, owner, lock).map(Locked::account);
    }

    /** {@link #find}, with whether the holds its held amount leaves out exist (the same time, one statement). */
    private Optional<Locked> findRow(Tx tx, String id, String owner, Lock lock) throws SQLException {
        return tx.with(owner == null ? lock.findById : lock.findByIdAndOwner, statement -> {
            OffsetDateTime now = DbTime.now(clock);
            DbTime.bind(statement, 1, now);
            DbTime.bind(statement, 2, now);
            statement.setString(3, id);
            if (owner != null) {
                statement.setString(4, owner);
            }
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(new Locked(toAccount(row), row.getBoolean("holds_due"),
                        row.getBigDecimal("held"))) : Optional.empty();
            }
        });
    }

    private static Account toAccount(ResultSet row) throws SQLException {
        String currency = row.getString("currency_code");
        BigDecimal limit = row.getBigDecimal("credit_limit");
        BigDecimal held = row.getBigDecimal("held").subtract(row.getBigDecimal("expired_held"));
        BigDecimal captured = row.getBigDecimal("captured");
        return withBalance(Account.newBuilder()
                .setName(ResourceNames.account(row.getString("id")))
                .setCurrencyCode(currency)
                .setCreditLimit(Moneys.money(limit, currency))
                .setState(Account.State.valueOf(row.getString("state")))
                .setDisplayName(row.getString("display_name"))
                .setCreateTime(DbTime.timestampOfMicros(row.getLong("create_time_micros"))),
                currency, limit, held, captured).build();
    }

    private static Account.Builder withBalance(Account.Builder account, String currency, BigDecimal limit,
                                               BigDecimal held, BigDecimal captured) {
        return account.setHeld(Moneys.money(held, currency))
                .setCaptured(Moneys.money(captured, currency))
                .setAvailable(Moneys.money(limit.subtract(held).subtract(captured), currency));
    }
}
