package dev.paygate.bench;

import java.util.concurrent.CompletableFuture;

/**
 * The calls the benchmark makes, asynchronous so that one thread can keep an open-loop schedule.
 * Futures never fail: a failure is a {@link Reply} with its code. Every keyed call carries its
 * key where Envoy sees it (gRPC {@code idempotency-key} metadata, REST {@code Idempotency-Key}
 * header), so it runs on the keyed (retrying) route.
 */
interface PaygateClient extends AutoCloseable {

    CompletableFuture<Reply> getAccount(String account, String bearer);

    CompletableFuture<Reply> createAuthorization(String account, long units, String idempotencyKey);

    CompletableFuture<Reply> capture(String authorization, String idempotencyKey);

    CompletableFuture<Reply> voidAuthorization(String authorization, String idempotencyKey);

    /** How many calls an open loop may have outstanding on this client. */
    default int maxInFlight() {
        return LoadDriver.MAX_IN_FLIGHT;
    }

    @Override
    void close();
}
