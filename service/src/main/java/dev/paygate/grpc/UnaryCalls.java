package dev.paygate.grpc;

import dev.paygate.error.ApiException;
import dev.paygate.idempotency.Outcome;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a unary handler and answers with its result or with the mapped error status. */
public final class UnaryCalls {

    private static final Logger LOG = LoggerFactory.getLogger(UnaryCalls.class);

    private UnaryCalls() {
    }

    public static <T> void respond(StreamObserver<T> observer, Supplier<T> handler) {
        respondToMutation(observer, () -> new Outcome<>(handler.get(), false));
    }

    /**
     * Answers a keyed mutation; a replayed answer carries {@code idempotent-replayed: true} in the
     * response headers, so a client can tell a retry's stored answer from a first one.
     */
    public static <T> void respondToMutation(StreamObserver<T> observer, Supplier<Outcome<T>> handler) {
        Outcome<T> outcome;
        try {
            outcome = handler.get();
        } catch (ApiException e) {
            LOG.info("call failed: {} {}: {}", e.code(), e.reason(), e.getMessage());
            observer.onError(GrpcErrors.toStatus(e));
            return;
        } catch (RuntimeException e) {
            LOG.error("unexpected failure", e);
            observer.onError(GrpcErrors.internal(CallMetadata.REQUEST_ID.get()));
            return;
        }
        if (outcome.replayed()) {
            CallMetadata.RESPONSE_HEADERS.get().put(CallMetadata.IDEMPOTENT_REPLAYED_HEADER, "true");
        }
        observer.onNext(outcome.response());
        observer.onCompleted();
    }
}
