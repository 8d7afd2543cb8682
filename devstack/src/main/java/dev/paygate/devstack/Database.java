package dev.paygate.devstack;

/** The database a {@link Stack}'s replicas share. */
public enum Database {
    /** Embedded H2 in file mode (one replica only). */
    H2,
    /**
     * Embedded PostgreSQL as zonky starts it by default: fsync and synchronous_commit off, so a
     * crash can lose acknowledged commits. Fast; fine for tests, not for durability claims.
     */
    POSTGRES,
    /** Embedded PostgreSQL with fsync and synchronous_commit on, as production runs it. */
    POSTGRES_DURABLE;

    /** What a stack uses unless told: H2 for one replica, durable PostgreSQL for several. */
    public static Database defaultFor(int replicas) {
        return replicas > 1 ? POSTGRES_DURABLE : H2;
    }
}
