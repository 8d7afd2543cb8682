package dev.paygate.authorization;

import dev.paygate.account.Accounts;
import dev.paygate.account.Balance;
import dev.paygate.v1.AuthorizationEvent;
import dev.paygate.persistence.Tx;
import jakarta.inject.Singleton;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The one way an authorization changes an account's balance: the change and the event that
 * records it, in the caller's transaction under the account lock, so that they commit or roll
 * back together. Invariant: an account's held and captured are the held_after and captured_after
 * of its latest event, and each event's before is the previous one's after
 * (AuthorizationEventsPropertiesTest).
 */
@Singleton
class BalanceLedger {

    /** A hold past its expire_time, due to be released. */
    record DueHold(String authorizationId, BigDecimal amount, String currencyCode) {
    }

    /**
     * The event of one change, its balance after taken from {@code balance} (a CTE returning the
     * account's held and captured), its balance before that less the deltas; numbered after the
     * account's last event.
     */
    private static final String EVENT_OF_BALANCE = " " + AuthorizationEventStore.INSERT
            + " SELECT ?, ?, (SELECT COALESCE(MAX(sequence), 0) + 1 FROM authorization_events WHERE account_id = ?),"
            + " ?, ?, ?, held - ?, held, captured - ?, captured, ?, ?, ? FROM balance";
    private static final String CHANGE_AND_EVENT = "WITH balance AS (" + Accounts.ADJUST + ")" + EVENT_OF_BALANCE;
    private static final String EVENT_ONLY = "WITH balance AS (" + Accounts.BALANCE + ")" + EVENT_OF_BALANCE;

    private final Accounts accounts;
    private final AuthorizationEventStore events;

    BalanceLedger(Accounts accounts, AuthorizationEventStore events) {
        this.accounts = accounts;
        this.events = events;
    }

    /**
     * Adds the deltas to the account's held and captured (none for a decline) and records the
     * event: one statement, queued ({@link Tx#later}) to go with the transaction's next statement or
     * its commit. It must insert exactly one event: no account row, no event, and the transaction fails.
     */
    void record(Tx tx, String accountId, AuthorizationEvent.Type type, String authorizationId, String currencyCode,
                BigDecimal heldDelta, BigDecimal capturedDelta, EventSource source, OffsetDateTime now) {
        boolean unchanged = heldDelta.signum() == 0 && capturedDelta.signum() == 0;
        String eventId = UUID.randomUUID().toString();
        tx.later(unchanged ? EVENT_ONLY : CHANGE_AND_EVENT, 1, params -> {
            if (!unchanged) {
                params.decimal(heldDelta).decimal(capturedDelta);
            }
            params.string(accountId)
                    .string(eventId).string(accountId).string(accountId).string(type.name()).string(authorizationId)
                    .string(currencyCode).decimal(heldDelta).decimal(capturedDelta)
                    .string(source.actor()).string(source.requestId()).time(now);
        });
    }

    /** What the holds still hold, together. */
    static BigDecimal total(List<DueHold> holds) {
        return holds.stream().map(DueHold::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    /** Releases the holds in one balance change and records one EXPIRED event per hold, in the given order. */
    void expire(Tx tx, String accountId, List<DueHold> holds, EventSource source, OffsetDateTime now)
            throws SQLException {
        BigDecimal total = total(holds);
        Balance after = accounts.adjust(tx, accountId, total.negate(), BigDecimal.ZERO);
        Balance step = after.plus(total, BigDecimal.ZERO);
        List<AuthorizationEventStore.NewEvent> expired = new ArrayList<>();
        for (DueHold hold : holds) {
            Balance next = step.plus(hold.amount().negate(), BigDecimal.ZERO);
            expired.add(new AuthorizationEventStore.NewEvent(AuthorizationEvent.Type.EXPIRED, hold.authorizationId(),
                    hold.currencyCode(), step, next));
            step = next;
        }
        events.append(tx, accountId, expired, source, now);
    }
}
