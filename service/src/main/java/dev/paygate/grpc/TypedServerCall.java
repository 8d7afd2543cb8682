package dev.paygate.grpc;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.io.InputStream;

/**
 * The view of a call registered with raw request bytes ({@link RequestGate}) that the method's own
 * handler expects: its typed descriptor; everything else goes to the real call. Closing twice is
 * ignored, so the gate may refuse a call its handler has not finished with.
 */
final class TypedServerCall<Q, R> extends ServerCall<Q, R> {

    private final ServerCall<InputStream, R> call;
    private final MethodDescriptor<Q, R> method;
    private volatile boolean closed;

    TypedServerCall(ServerCall<InputStream, R> call, MethodDescriptor<Q, R> method) {
        this.call = call;
        this.method = method;
    }

    boolean closed() {
        return closed;
    }

    @Override
    public void close(Status status, Metadata trailers) {
        if (!closed) {
            closed = true;
            call.close(status, trailers);
        }
    }

    @Override
    public void request(int numMessages) {
        call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
        call.sendHeaders(headers);
    }

    @Override
    public void sendMessage(R message) {
        call.sendMessage(message);
    }

    @Override
    public boolean isReady() {
        return call.isReady();
    }

    @Override
    public boolean isCancelled() {
        return call.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
        call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
        call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
        call.setOnReadyThreshold(numBytes);
    }

    @Override
    public Attributes getAttributes() {
        return call.getAttributes();
    }

    @Override
    public io.grpc.SecurityLevel getSecurityLevel() {
        return call.getSecurityLevel();
    }

    @Override
    public String getAuthority() {
        return call.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
        return method;
    }
}
