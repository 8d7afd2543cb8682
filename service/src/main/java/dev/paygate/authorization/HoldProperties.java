package dev.paygate.authorization;

import io.micronaut.context.annotation.ConfigurationProperties;
import java.time.Duration;

/** How long an approved hold lasts uncaptured, and how often expired holds are released. */
@ConfigurationProperties("paygate.holds")
public class HoldProperties {

    /** Card schemes let most holds lapse after about a week. */
    private Duration ttl = Duration.ofDays(7);
    private Duration sweepInterval = Duration.ofSeconds(30);
    /** Accounts a sweep looks up at a time; each account's holds are released in their own transaction. */
    private int sweepBatchSize = 100;

    public Duration getTtl() {
        return ttl;
    }

    public void setTtl(Duration ttl) {
        this.ttl = ttl;
    }

    public Duration getSweepInterval() {
        return sweepInterval;
    }

    public void setSweepInterval(Duration sweepInterval) {
        this.sweepInterval = sweepInterval;
    }

    public int getSweepBatchSize() {
        return sweepBatchSize;
    }

    public void setSweepBatchSize(int sweepBatchSize) {
        this.sweepBatchSize = sweepBatchSize;
    }
}
