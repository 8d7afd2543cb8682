package dev.paygate.persistence;

import dev.paygate.error.ApiException;
import dev.paygate.error.ErrorReason;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a database failure means to the caller, as the service's own errors: by its cause, and
 * saying whether anything was done. Only a commit whose answer was lost leaves that unknown.
 */
final class SqlErrors {

    private static final Logger LOG = LoggerFactory.getLogger(SqlErrors.class);
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /** How early a timeout may fire and still be the deadline's: whole-millisecond rounding, and then some. */
    private static final long DEADLINE_SLACK_MILLIS = 5;

    private SqlErrors() {
    }

    /** Hikari's "no connection came free in time": no cause, unlike a failure to connect. */
    static boolean isPoolTimeout(SQLException e) {
        return e instanceof SQLTransientConnectionException && e.getCause() == null;
    }

    /** A statement or lock-wait timeout, or a cancelled statement (PostgreSQL 57014, 55P03). */
    static boolean isTimeout(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return e instanceof SQLTimeoutException || state.equals("57014") || state.equals("55P03");
    }

    /**
     * No connection: saturation (retry advice) when the pool's wait ran out while other calls held
     * every connection, else an outage. Either way nothing was done.
     */
    static ApiException connectionFailure(SQLException e, boolean othersBusy, long waitedMillis) {
        if (isPoolTimeout(e) && othersBusy) {
            LOG.warn("database connection pool saturated: {}", e.getMessage());
            return ApiException.saturated("every database connection stayed busy for " + waitedMillis
                    + " ms; the request was not processed; retry after a short delay", RETRY_AFTER, e);
        }
        return unavailable(e);
    }

    /** The commit was sent and its answer lost: the write may or may not have happened. */
    static ApiException commitFailed(SQLException e, boolean keyed) {
        LOG.error("commit failed; its outcome is unknown: {}", e.toString());
        return ApiException.commitOutcomeUnknown(keyed, RETRY_AFTER, e);
    }

    /**
     * A failure before the commit (the transaction rolled back: nothing was changed), by its
     * cause. Only a timeout, a cancelled statement or a lock wait that ran out is put down to the
     * deadline or the client's cancel; any other error, such as a CHECK violation, stays a fault
     * (IllegalStateException, INTERNAL) even when the deadline has also passed meanwhile.
     */
    static RuntimeException beforeCommit(SQLException e, CallBudget budget) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        boolean lockWaitEnded = state.equals("55P03");
        boolean timedOut = isTimeout(e);
        // statement_timeout and lock_timeout are set to the budget left, in whole milliseconds,
        // so PostgreSQL may end a statement a fraction of a millisecond before the call's deadline
        // itself expires: that is still the deadline, not a fault.
        if (timedOut && budget.remainingMillis().orElse(Long.MAX_VALUE) < DEADLINE_SLACK_MILLIS) {
            return ApiException.deadlineExceeded(ErrorReason.DEADLINE_EXCEEDED,
                    "deadline exceeded during the transaction; it was rolled back");
        }
        if (timedOut && budget.isCancelled()) {
            return ApiException.cancelled("call cancelled by the client; the transaction was rolled back");
        }
        if (e instanceof SQLTransientConnectionException || state.startsWith("08")) {
            return unavailable(e);
        }
        // 40001 serialization failure, 40P01 deadlock, a lock wait that ended before the deadline,
        // 23505 a concurrent insert of the same key: rolled back, safe to retry.
        if (state.equals("40001") || state.equals("40P01") || lockWaitEnded || state.equals("23505")) {
            return ApiException.aborted(ErrorReason.CONCURRENT_MODIFICATION,
                    "transaction conflicted with a concurrent one and was rolled back; retry", e);
        }
        return new IllegalStateException("database error " + state, e);
    }

    private static ApiException unavailable(SQLException e) {
        LOG.warn("database unavailable: {}", e.toString());
        return ApiException.unavailable("database unavailable; the request was not processed", RETRY_AFTER, e);
    }
}
