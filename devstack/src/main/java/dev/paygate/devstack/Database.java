package dev.paygate.devstack;

/** How durable the embedded PostgreSQL a {@link Stack}'s replicas share is. */
public enum Database {
    /**
     * fsync and synchronous_commit off, as zonky starts it unless told otherwise: a crash loses
     * acknowledged commits. An explicit opt-out for measurements that say so (bench --db pg).
     */
    POSTGRES,
    /** fsync and synchronous_commit on, as production runs it: the default everywhere. */
    POSTGRES_DURABLE
}
