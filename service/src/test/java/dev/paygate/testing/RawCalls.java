package dev.paygate.testing;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * gRPC calls no generated stub can make: any bytes as request messages, any number of them, to
 * any method. The method is declared client-streaming here only so that the channel sends what
 * it is given; the wire does not carry the type, so the server sees a call to its unary method.
 */
public final class RawCalls {

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private RawCalls() {
    }

    /** Sends the messages and half-closes; returns the call's failure, or null when it succeeded. */
    public static StatusRuntimeException call(Channel channel, String fullMethodName, List<byte[]> messages) {
        MethodDescriptor<byte[], byte[]> method = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
                .setFullMethodName(fullMethodName)
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
        CompletableFuture<StatusRuntimeException> outcome = new CompletableFuture<>();
        StreamObserver<byte[]> requests = ClientCalls.asyncClientStreamingCall(
                channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)),
                new StreamObserver<>() {
                    @Override
                    public void onNext(byte[] response) {
                    }

                    @Override
                    public void onError(Throwable error) {
                        outcome.complete(error instanceof StatusRuntimeException e ? e
                                : io.grpc.Status.fromThrowable(error).asRuntimeException());
                    }

                    @Override
                    public void onCompleted() {
                        outcome.complete(null);
                    }
                });
        messages.forEach(requests::onNext);
        requests.onCompleted();
        try {
            return outcome.get(15, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new IllegalStateException(fullMethodName + ": no outcome", e);
        }
    }
}
