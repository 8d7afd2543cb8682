package dev.paygate.bench;

/** How load is offered: a fixed number of clients each waiting for its reply, or a fixed rate. */
sealed interface LoadShape {

    String key();

    /** Closed loop: {@code clients} callers, each sending its next call when the last returns. */
    record Closed(int clients) implements LoadShape {
        @Override
        public String key() {
            return "closed" + clients;
        }
    }

    /**
     * Open loop: calls sent on a fixed schedule whatever the replies do, latency measured from
     * each call's intended send time (no coordinated omission).
     */
    record Open(int ratePerSecond) implements LoadShape {
        @Override
        public String key() {
            return "open" + ratePerSecond;
        }
    }
}
