package dev.paygate.persistence;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.h2.mvstore.MVStore;

/**
 * Group commit for embedded H2: a transaction's caller is answered only once H2's file holds its
 * commit, and one write of the file serves every transaction that committed before it began.
 *
 * <p>With {@code WRITE_DELAY=0} H2 writes its file inside every commit, one commit at a time
 * (MVStore's store lock), and each write also carries the pages the open transactions changed,
 * so there is nearly always something new to write: under concurrent writes the file was written
 * about once per commit, 35-40 % of the service's CPU per keyed write. With a positive
 * WRITE_DELAY, H2's commit publishes the transaction in memory only (TransactionStore#commit
 * writes the file only when the delay is 0, the transaction was prepared, or no transaction has
 * changes pending and unsaved pages pass three quarters of the store's auto-commit memory;
 * checked in H2 2.3.232), and this class makes
 * it durable. The first caller to arrive leads: while other transactions are
 * still running and commits keep arriving it waits a little for them, then writes the file for
 * everyone who arrived; the others wait for the first write that began after their commit. A
 * caller waits with its connection already back in the pool, so the next batch runs meanwhile.
 * PostgreSQL groups WAL flushes the same way (commit_delay, commit_siblings). Without this class a
 * positive WRITE_DELAY would acknowledge writes that a killed process loses.
 */
final class H2GroupCommit {

    /** A leader writes once no commit arrived for this long... */
    private static final long QUIET_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    /** ...or once it has waited this long; a lone commit, with nothing else running, not at all. */
    private static final long GATHER_NANOS = TimeUnit.MICROSECONDS.toNanos(2000);

    /** Transactions running: begun, not yet committed or rolled back. */
    private final AtomicInteger running = new AtomicInteger();
    /** Transactions that wrote, from just before their commit until the file holds it. */
    private final AtomicInteger unwritten = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    /** A commit arrived: only the gathering leader waits for this. */
    private final Condition arrived = lock.newCondition();
    /** A write of the file finished: everyone else waits for this. */
    private final Condition written = lock.newCondition();
    /** Callers waiting for a write of the file, the leader included. */
    private int waiting;
    /** Writes of the file begun and finished so far, numbered from 1; they run one at a time. */
    private long begun;
    private long finished;
    private long lastSucceeded;
    private boolean leading;
    private RuntimeException lastFailure;

    /** A transaction began; it ends with {@link #commit} or {@link #rolledBack()}. */
    void opened() {
        running.incrementAndGet();
    }

    void rolledBack() {
        running.decrementAndGet();
    }

    /**
     * Commits in memory. A transaction that wrote must then call {@link #awaitWritten}, whatever
     * happens; one that only read should, so it is not answered with what the file may lose.
     *
     * @param wrote whether the transaction changed anything
     */
    void commit(Connection connection, boolean wrote) throws SQLException {
        if (wrote) {
            unwritten.incrementAndGet();
        }
        try {
            connection.commit();
        } catch (SQLException | RuntimeException e) {
            if (wrote) {
                unwritten.decrementAndGet();
            }
            throw e;
        } finally {
            running.decrementAndGet();
        }
    }

    /**
     * Returns once H2's file holds the caller's commit and everything it read. A reader waits
     * only while some write is committed but not yet in the file: a commit it could have seen was
     * counted before it happened.
     *
     * @throws IllegalStateException if writing the file failed: the commit's fate is unknown
     */
    void awaitWritten(MVStore store, boolean wrote) {
        try {
            if (wrote || unwritten.get() > 0) {
                awaitWrite(store);
            }
        } finally {
            if (wrote) {
                unwritten.decrementAndGet();
            }
        }
    }

    /** Returns once a write of the file that began after this call has succeeded. */
    private void awaitWrite(MVStore store) {
        lock.lock();
        waiting++;
        try {
            long needed = begun + 1;
            arrived.signal();
            while (finished < needed) {
                if (leading) {
                    written.awaitUninterruptibly();
                } else {
                    lead(store);
                }
            }
            if (lastSucceeded < needed) {
                throw new IllegalStateException("writing the H2 file failed", lastFailure);
            }
        } finally {
            waiting--;
            lock.unlock();
        }
    }

    /** Gathers the commits under way, then writes the file for them all; runs with the lock held. */
    private void lead(MVStore store) {
        leading = true;
        gather();
        long write = ++begun;
        RuntimeException failure = null;
        lock.unlock();
        try {
            // Writes every change made so far, or nothing if H2's own writer already did.
            store.commit();
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            lock.lock();
        }
        leading = false;
        finished = write;
        if (failure == null) {
            lastSucceeded = write;
        } else {
            lastFailure = failure;
        }
        written.signalAll();
    }

    /** Waits while transactions are running and their commits keep arriving (each arrival signals). */
    private void gather() {
        long until = System.nanoTime() + GATHER_NANOS;
        try {
            while (running.get() > 0) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                int before = waiting;
                arrived.awaitNanos(Math.min(left, QUIET_NANOS));
                if (waiting == before) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
