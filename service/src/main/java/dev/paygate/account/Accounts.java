package dev.paygate.account;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import dev.paygate.idempotency.IdempotencyStore;
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
import java.util.Optional;
import java.util.UUID;

/**
 * Accounts and their balances. Invariant: held + captured never exceeds the credit limit; every
 * change to held or captured happens while the account row is locked ({@link #lock}).
 */
@Singleton
public class Accounts {

    /** Idempotency keys of CreateAccount are not tied to an account; they share this scope. */
    static final String CREATE_SCOPE = "accounts";
    static final String CREATE_METHOD = "CreateAccount";

    private final Database database;
    private final IdempotencyStore idempotency;
    private final Clock clock;

    public Accounts(Database database, IdempotencyStore idempotency, Clock clock) {
        this.database = database;
        this.idempotency = idempotency;
        this.clock = clock;
    }

    public Account create(CreateAccountRequest request, String idempotencyKey) {
        // Two concurrent first tries with one key: the loser's key insert conflicts and rolls
        // back; its second attempt then finds and returns the winner's account.
        for (int attempt = 1; ; attempt++) {
            try {
                return database.inTransaction(tx -> create(tx, request, idempotencyKey));
            } catch (ApiException e) {
                if (attempt >= 2 || idempotencyKey.isEmpty() || e.code() != ApiException.Code.ABORTED) {
                    throw e;
                }
            }
        }
    }

    private Account create(Tx tx, CreateAccountRequest request, String key) throws SQLException {
        Optional<Account> replay = idempotency.replay(tx, CREATE_SCOPE, key, CREATE_METHOD, request, Account.parser());
        if (replay.isPresent()) {
            return replay.get();
        }
        Account input = request.getAccount();
        if (!input.getCreditLimit().getCurrencyCode().equals(input.getCurrencyCode())) {
            throw ApiException.invalidField("account.credit_limit.currency_code",
                    "must equal account.currency_code " + input.getCurrencyCode());
        }
        String id = UUID.randomUUID().toString();
        OffsetDateTime now = DbTime.now(clock);
        BigDecimal limit = Moneys.amount(input.getCreditLimit());
        tx.with("INSERT INTO accounts (id, currency_code, credit_limit, held, captured, state, display_name, create_time)"
                + " VALUES (?, ?, ?, 0, 0, ?, ?, ?)", statement -> {
            statement.setString(1, id);
            statement.setString(2, input.getCurrencyCode());
            statement.setBigDecimal(3, limit);
            statement.setString(4, Account.State.OPEN.name());
            statement.setString(5, input.getDisplayName());
            statement.setObject(6, now);
            return statement.executeUpdate();
        });
        Account created = find(tx, id).orElseThrow();
        idempotency.remember(tx, CREATE_SCOPE, key, CREATE_METHOD, request, created);
        return created;
    }

    public Account get(String name) {
        String id = ResourceNames.accountId(name);
        return database.inTransaction(tx -> find(tx, id))
                .orElseThrow(() -> ApiException.notFound(ErrorReason.ACCOUNT_NOT_FOUND, name));
    }

    /**
     * Locks the account row until the transaction ends, serialising every balance change and
     * idempotency check of this account, across threads and across service replicas.
     */
    public Account lock(Tx tx, String accountId) throws SQLException {
        return find(tx, accountId, true)
                .orElseThrow(() -> ApiException.notFound(ErrorReason.ACCOUNT_NOT_FOUND, ResourceNames.account(accountId)));
    }

    /** Adds the deltas to held and captured of a locked account. */
    public void adjust(Tx tx, String accountId, BigDecimal heldDelta, BigDecimal capturedDelta) throws SQLException {
        tx.with("UPDATE accounts SET held = held + ?, captured = captured + ? WHERE id = ?", statement -> {
            statement.setBigDecimal(1, heldDelta);
            statement.setBigDecimal(2, capturedDelta);
            statement.setString(3, accountId);
            return statement.executeUpdate();
        });
    }

    /** The account's available credit: limit - held - captured. */
    public static BigDecimal available(Account account) {
        return Moneys.amount(account.getAvailable());
    }

    /** The account as of this transaction, without locking it. */
    public Optional<Account> find(Tx tx, String id) throws SQLException {
        return find(tx, id, false);
    }

    private Optional<Account> find(Tx tx, String id, boolean forUpdate) throws SQLException {
        String sql = "SELECT id, currency_code, credit_limit, held, captured, state, display_name, create_time"
                + " FROM accounts WHERE id = ?" + (forUpdate ? " FOR UPDATE" : "");
        return tx.with(sql, statement -> {
            statement.setString(1, id);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(toAccount(row)) : Optional.empty();
            }
        });
    }

    private static Account toAccount(ResultSet row) throws SQLException {
        String currency = row.getString("currency_code");
        BigDecimal limit = row.getBigDecimal("credit_limit");
        BigDecimal held = row.getBigDecimal("held");
        BigDecimal captured = row.getBigDecimal("captured");
        OffsetDateTime created = row.getObject("create_time", OffsetDateTime.class);
        return Account.newBuilder()
                .setName(ResourceNames.account(row.getString("id")))
                .setCurrencyCode(currency)
                .setCreditLimit(Moneys.money(limit, currency))
                .setHeld(Moneys.money(held, currency))
                .setCaptured(Moneys.money(captured, currency))
                .setAvailable(Moneys.money(limit.subtract(held).subtract(captured), currency))
                .setState(Account.State.valueOf(row.getString("state")))
                .setDisplayName(row.getString("display_name"))
                .setCreateTime(DbTime.timestamp(created))
                .build();
    }
}
