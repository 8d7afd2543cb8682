package dev.paygate.grpc;

import dev.paygate.error.ApiException;
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
        T response;
        try {
            response = handler.get();
        } catch (ApiException e) {
            LOG.info("call failed: {} {}: {}", e.code(), e.reason(), e.getMessage());
            observer.onError(GrpcErrors.toStatus(e));
            return;
        } catch (RuntimeException e) {
            LOG.error("unexpected failure", e);
            observer.onError(GrpcErrors.internal(CallMetadata.REQUEST_ID.get()));
            return;
        }
        observer.onNext(response);
        observer.onCompleted();
    }
}
