package dev.paygate.authorization;

import dev.paygate.account.Balance;
import dev.paygate.account.ResourceNames;
import dev.paygate.money.Moneys;
import dev.paygate.persistence.DbTime;
import dev.paygate.persistence.Tx;
import dev.paygate.v1.AuthorizationEvent;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The authorization_events table: its SQL and its rows as {@link AuthorizationEvent} messages.
 * Appends run in the transaction of the balance change they record, whose caller holds the account
 * lock: that lock makes "the account's greatest sequence + 1" the next number, and makes the
 * account's events commit in sequence order. Nothing here updates or deletes a row (the table's
 * trigger refuses it).
 */
@Singleton
class AuthorizationEventStore {

    /** One event to append: what happened to which authorization, and the account's balance around it. */
    record NewEvent(AuthorizationEvent.Type type, String authorizationId, String currencyCode,
                    Balance before, Balance after) {
    }

    private static final String COLUMNS = "id, account_id, sequence, type, authorization_id, currency_code,"
            + " held_before, held_after, captured_before, captured_after, actor, request_id, create_time";
    /** The insert's head; the columns' values follow in this order. */
    static final String INSERT = "INSERT INTO authorization_events (" + COLUMNS + ")";
    private static final String APPEND = INSERT + " SELECT ?, ?, COALESCE(MAX(sequence), 0) + 1, ?, ?, ?, ?, ?, ?, ?,"
            + " ?, ?, ? FROM authorization_events WHERE account_id = ?";

    /** Appends the events in order, numbered after the account's last one. */
    void append(Tx tx, String accountId, List<NewEvent> events, EventSource source, OffsetDateTime now)
            throws SQLException {
        tx.with(APPEND, statement -> {
            for (NewEvent event : events) {
                bind(statement, accountId, event, source, now);
                statement.addBatch();
            }
            return statement.executeBatch();
        });
    }

    private static void bind(PreparedStatement statement, String accountId, NewEvent event, EventSource source,
                             OffsetDateTime now) throws SQLException {
        int i = 1;
        statement.setString(i++, UUID.randomUUID().toString());
        statement.setString(i++, accountId);
        statement.setString(i++, event.type().name());
        statement.setString(i++, event.authorizationId());
        statement.setString(i++, event.currencyCode());
        statement.setBigDecimal(i++, event.before().held());
        statement.setBigDecimal(i++, event.after().held());
        statement.setBigDecimal(i++, event.before().captured());
        statement.setBigDecimal(i++, event.after().captured());
        statement.setString(i++, source.actor());
        statement.setString(i++, source.requestId());
        DbTime.bind(statement, i++, now);
        statement.setString(i, accountId);
    }

    /**
     * Up to {@code limit} of the account's events after {@code afterSequence}, oldest first, only
     * those of {@code authorizationId} and {@code type} when given (null: any).
     */
    List<AuthorizationEvent> page(Tx tx, String accountId, long afterSequence, String authorizationId,
                                  AuthorizationEvent.Type type, int limit) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS
                + " FROM authorization_events WHERE account_id = ? AND sequence > ?");
        if (authorizationId != null) {
            sql.append(" AND authorization_id = ?");
        }
        if (type != null) {
            sql.append(" AND type = ?");
        }
        sql.append(" ORDER BY sequence LIMIT ?");
        return tx.with(sql.toString(), statement -> {
            int i = 1;
            statement.setString(i++, accountId);
            statement.setLong(i++, afterSequence);
            if (authorizationId != null) {
                statement.setString(i++, authorizationId);
            }
            if (type != null) {
                statement.setString(i++, type.name());
            }
            statement.setInt(i, limit);
            List<AuthorizationEvent> events = new ArrayList<>();
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    events.add(toEvent(row));
                }
            }
            return events;
        });
    }

    /** A reader's position in an account's events: it has read up to {@code afterSequence}. */
    record Cursor(String accountId, long afterSequence) {
    }

    /**
     * The cursors as two arrays, unnested with their position, each joined LATERAL to its own
     * range scan of the (account_id, sequence) index: one statement for any number of readers.
     */
    private static final String PAGES = "SELECT w.position, e.* FROM unnest(?::varchar[], ?::bigint[])"
            + " WITH ORDINALITY AS w(account_id, after_sequence, position)"
            + " CROSS JOIN LATERAL (SELECT " + COLUMNS + " FROM authorization_events"
            + " WHERE account_id = w.account_id AND sequence > w.after_sequence ORDER BY sequence LIMIT ?) e"
            + " ORDER BY w.position, e.sequence";

    /**
     * For each distinct cursor, up to {@code limit} of its account's events after it, oldest first
     * (an empty list for a cursor with none), in one query.
     */
    Map<Cursor, List<AuthorizationEvent>> pages(Tx tx, Collection<Cursor> cursors, int limit) throws SQLException {
        List<Cursor> distinct = List.copyOf(new LinkedHashSet<>(cursors));
        Map<Cursor, List<AuthorizationEvent>> pages = new HashMap<>();
        distinct.forEach(cursor -> pages.put(cursor, new ArrayList<>()));
        if (distinct.isEmpty()) {
            return pages;
        }
        return tx.with(PAGES, statement -> {
            Connection connection = statement.getConnection();
            statement.setArray(1, connection.createArrayOf("varchar",
                    distinct.stream().map(Cursor::accountId).toArray()));
            statement.setArray(2, connection.createArrayOf("bigint",
                    distinct.stream().map(Cursor::afterSequence).toArray()));
            statement.setInt(3, limit);
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    pages.get(distinct.get(Math.toIntExact(row.getLong("position") - 1))).add(toEvent(row));
                }
            }
            return pages;
        });
    }

    /** How many of the authorization's events are of one of these types. */
    long count(Tx tx, String accountId, String authorizationId, List<AuthorizationEvent.Type> types)
            throws SQLException {
        String placeholders = String.join(", ", java.util.Collections.nCopies(types.size(), "?"));
        return tx.with("SELECT COUNT(*) FROM authorization_events WHERE authorization_id = ? AND account_id = ?"
                + " AND type IN (" + placeholders + ")", statement -> {
            int i = 1;
            statement.setString(i++, authorizationId);
            statement.setString(i++, accountId);
            for (AuthorizationEvent.Type type : types) {
                statement.setString(i++, type.name());
            }
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        });
    }

    /** The sequence of one of the account's events (a page token's position). */
    long sequenceOf(Tx tx, String accountId, String eventId) throws SQLException {
        return tx.with("SELECT sequence FROM authorization_events WHERE account_id = ? AND id = ?", statement -> {
            statement.setString(1, accountId);
            statement.setString(2, eventId);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalStateException("a sealed page token names event " + eventId
                            + ", which the account does not have");
                }
                return row.getLong(1);
            }
        });
    }

    private static AuthorizationEvent toEvent(ResultSet row) throws SQLException {
        String accountId = row.getString("account_id");
        String currency = row.getString("currency_code");
        return AuthorizationEvent.newBuilder()
                .setName(ResourceNames.account(accountId) + "/authorizationEvents/" + row.getString("id"))
                .setSequence(row.getLong("sequence"))
                .setType(AuthorizationEvent.Type.valueOf(row.getString("type")))
                .setAuthorization(ResourceNames.authorization(accountId, row.getString("authorization_id")))
                .setHeldBefore(Moneys.money(row.getBigDecimal("held_before"), currency))
                .setHeldAfter(Moneys.money(row.getBigDecimal("held_after"), currency))
                .setCapturedBefore(Moneys.money(row.getBigDecimal("captured_before"), currency))
                .setCapturedAfter(Moneys.money(row.getBigDecimal("captured_after"), currency))
                .setActor(row.getString("actor"))
                .setRequestId(row.getString("request_id"))
                .setCreateTime(DbTime.timestamp(row.getObject("create_time", OffsetDateTime.class)))
                .build();
    }
}
