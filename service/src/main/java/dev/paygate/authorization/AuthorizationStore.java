package dev.paygate.authorization;

import dev.paygate.account.ResourceNames;
import dev.paygate.money.Moneys;
import dev.paygate.persistence.DbTime;
import dev.paygate.persistence.Tx;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The authorizations table: its SQL and its rows as {@link Authorization} messages. Every method
 * runs in the caller's transaction; callers that change an account's authorizations hold its lock.
 */
@Singleton
class AuthorizationStore {

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

    /** A stored row as read, with its create_time as stored (the page position). */
    record Row(Authorization authorization, OffsetDateTime createTime) {
    }

    private static final String INSERT = "INSERT INTO authorizations (" + COLUMNS + ")"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)";

    /** Inserts a new authorization: queued ({@link Tx#later}), it goes with the next statement or the commit. */
    void insert(Tx tx, String accountId, Authorization authorization, OffsetDateTime now, OffsetDateTime expireTime) {
        tx.later(INSERT, 1, params -> params
                .string(ResourceNames.authorizationId(authorization.getName()))
                .string(accountId)
                .decimal(Moneys.amount(authorization.getAmount()))
                .string(authorization.getAmount().getCurrencyCode())
                .string(authorization.getMerchantId())
                .string(authorization.getMerchantCategoryCode())
                .string(authorization.getState().name())
                .string(authorization.getState() == State.DECLINED ? authorization.getDeclineReason().name() : null)
                .time(now)
                .time(now)
                .time(expireTime));
    }

    Optional<Authorization> find(Tx tx, String accountId, String id) throws SQLException {
        return tx.with("SELECT " + COLUMNS + " FROM authorizations WHERE id = ? AND account_id = ?", statement -> {
            statement.setString(1, id);
            statement.setString(2, accountId);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? Optional.of(toAuthorization(row)) : Optional.empty();
            }
        });
    }

    /**
     * Sets an APPROVED authorization's state, amount, captured amount and expire_time; fails if it
     * is no longer APPROVED or its amounts are no longer the ones {@code current} was read with (a
     * lost update).
     */
    void update(Tx tx, Authorization current, State state, BigDecimal amount, BigDecimal capturedAmount,
                OffsetDateTime expireTime, OffsetDateTime now) throws SQLException {
        tx.with("UPDATE authorizations SET state = ?, amount = ?, captured_amount = ?, expire_time = ?, update_time = ?"
                + " WHERE id = ? AND state = ? AND amount = ? AND COALESCE(captured_amount, 0) = ?", statement -> {
                    statement.setString(1, state.name());
                    statement.setBigDecimal(2, amount);
                    statement.setBigDecimal(3, capturedAmount);
                    DbTime.bind(statement, 4, expireTime);
                    DbTime.bind(statement, 5, now);
                    statement.setString(6, ResourceNames.authorizationId(current.getName()));
                    statement.setString(7, State.APPROVED.name());
                    statement.setBigDecimal(8, Moneys.amount(current.getAmount()));
                    statement.setBigDecimal(9, current.hasCapturedAmount()
                            ? Moneys.amount(current.getCapturedAmount()) : BigDecimal.ZERO);
                    if (statement.executeUpdate() != 1) {
                        throw new IllegalStateException("authorization changed outside the account lock: " + current.getName());
                    }
                    return null;
                });
    }

    /** The account's APPROVED holds that are due to expire, with what each still holds, in expire_time order. */
    List<BalanceLedger.DueHold> dueHolds(Tx tx, String accountId, OffsetDateTime now) throws SQLException {
        return tx.with("SELECT id, amount - COALESCE(captured_amount, 0), currency_code FROM authorizations"
                + " WHERE account_id = ? AND state = ? AND expire_time <= ? ORDER BY expire_time, id", statement -> {
            statement.setString(1, accountId);
            statement.setString(2, State.APPROVED.name());
            DbTime.bind(statement, 3, now);
            List<BalanceLedger.DueHold> due = new ArrayList<>();
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    due.add(new BalanceLedger.DueHold(row.getString(1), row.getBigDecimal(2), row.getString(3)));
                }
            }
            return due;
        });
    }

    /**
     * Marks the account's due holds EXPIRED. The stored update_time is the expire_time, so an
     * authorization reads the same before and after its release.
     */
    void expireDue(Tx tx, String accountId, OffsetDateTime now) throws SQLException {
        tx.with("UPDATE authorizations SET state = ?, update_time = expire_time"
                + " WHERE account_id = ? AND state = ? AND expire_time <= ?", statement -> {
            statement.setString(1, State.EXPIRED.name());
            statement.setString(2, accountId);
            statement.setString(3, State.APPROVED.name());
            DbTime.bind(statement, 4, now);
            return statement.executeUpdate();
        });
    }

    /** Up to {@code limit} accounts after {@code afterAccountId} (in id order) with holds past expiry. */
    List<String> accountsWithDueHolds(Tx tx, String afterAccountId, int limit, OffsetDateTime now) throws SQLException {
        return tx.with("SELECT DISTINCT account_id FROM authorizations"
                + " WHERE state = ? AND expire_time <= ? AND account_id > ? ORDER BY account_id", statement -> {
            statement.setString(1, State.APPROVED.name());
            DbTime.bind(statement, 2, now);
            statement.setString(3, afterAccountId);
            statement.setMaxRows(limit);
            List<String> accountIds = new ArrayList<>();
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    accountIds.add(row.getString(1));
                }
            }
            return accountIds;
        });
    }

    /** The capped count, or empty when it could not answer within {@code limit} (nothing else is undone). */
    Optional<Integer> countSince(Tx tx, String accountId, OffsetDateTime since, int atMost, Duration limit)
            throws SQLException {
        return tx.readWithin(limit, COUNT_RECENT, statement -> {
            statement.setString(1, accountId);
            DbTime.bind(statement, 2, since);
            statement.setInt(3, atMost);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getInt(1);
            }
        });
    }

    /**
     * Up to {@code limit} of the account's authorizations, newest first, after {@code after}
     * when given, in the state {@code filter} names (empty: any). A hold past its expire_time is
     * EXPIRED from that moment, released or not.
     */
    List<Row> page(Tx tx, String accountId, String filter, PageTokens.Position after, int limit, OffsetDateTime now)
            throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM authorizations WHERE account_id = ?");
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
                DbTime.bind(statement, i++, now);
            }
            if (after != null) {
                OffsetDateTime position = after.createTime().atOffset(ZoneOffset.UTC);
                DbTime.bind(statement, i++, position);
                DbTime.bind(statement, i++, position);
                statement.setString(i++, after.id());
            }
            statement.setMaxRows(limit);
            List<Row> rows = new ArrayList<>();
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    rows.add(new Row(toAuthorization(row), row.getObject("create_time", OffsetDateTime.class)));
                }
            }
            return rows;
        });
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
