package dev.paygate.authorization;

import dev.paygate.auth.Caller;
import dev.paygate.grpc.CallMetadata;
import dev.paygate.grpc.RequestGate;
import dev.paygate.grpc.UnaryCalls;
import dev.paygate.idempotency.IdempotencyKey;
import dev.paygate.v1.AdjustAuthorizationRequest;
import dev.paygate.v1.AdjustAuthorizationResponse;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.ExtendAuthorizationRequest;
import dev.paygate.v1.GetAuthorizationRequest;
import dev.paygate.v1.ListAuthorizationEventsRequest;
import dev.paygate.v1.ListAuthorizationEventsResponse;
import dev.paygate.v1.ListAuthorizationsRequest;
import dev.paygate.v1.ListAuthorizationsResponse;
import dev.paygate.v1.ReverseAuthorizationRequest;
import dev.paygate.v1.VoidAuthorizationRequest;
import dev.paygate.v1.WatchAuthorizationEventsRequest;
import dev.paygate.v1.WatchAuthorizationEventsResponse;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Singleton;

/** gRPC transport for {@code paygate.v1.AuthorizationService}; the rules live in {@link Authorizations}. */
@Singleton
public class AuthorizationEndpoint implements AuthorizationServiceGrpc.AsyncService, BindableService {

    private final Authorizations authorizations;
    private final AuthorizationEvents events;
    private final AuthorizationEventWatches watches;
    private final RequestGate gate;

    public AuthorizationEndpoint(Authorizations authorizations, AuthorizationEvents events,
                                 AuthorizationEventWatches watches, RequestGate gate) {
        this.authorizations = authorizations;
        this.events = events;
        this.watches = watches;
        this.gate = gate;
    }

    /** Handlers get exactly one well-formed, valid request ({@link RequestGate}). */
    @Override
    public ServerServiceDefinition bindService() {
        return gate.guard(AuthorizationServiceGrpc.bindService(this));
    }

    @Override
    public void getAuthorization(GetAuthorizationRequest request, StreamObserver<Authorization> observer) {
        UnaryCalls.respond(observer, () -> authorizations.get(request.getName(), owner()));
    }

    @Override
    public void listAuthorizations(ListAuthorizationsRequest request,
                                   StreamObserver<ListAuthorizationsResponse> observer) {
        UnaryCalls.respond(observer, () -> authorizations.list(request, owner()));
    }

    @Override
    public void createAuthorization(CreateAuthorizationRequest request, StreamObserver<Authorization> observer) {
        UnaryCalls.respondToMutation(observer, () -> authorizations.create(request, key(request.getRequestId()), owner()));
    }

    @Override
    public void captureAuthorization(CaptureAuthorizationRequest request, StreamObserver<Authorization> observer) {
        UnaryCalls.respondToMutation(observer, () -> authorizations.capture(request, key(request.getRequestId()), owner()));
    }

    @Override
    public void voidAuthorization(VoidAuthorizationRequest request, StreamObserver<Authorization> observer) {
        UnaryCalls.respondToMutation(observer, () -> authorizations.voidAuthorization(request, key(request.getRequestId()), owner()));
    }

    @Override
    public void reverseAuthorization(ReverseAuthorizationRequest request, StreamObserver<Authorization> observer) {
        UnaryCalls.respondToMutation(observer, () -> authorizations.reverse(request, key(request.getRequestId()), owner()));
    }

    @Override
    public void adjustAuthorization(AdjustAuthorizationRequest request,
                                    StreamObserver<AdjustAuthorizationResponse> observer) {
        UnaryCalls.respondToMutation(observer, () -> authorizations.adjust(request, key(request.getRequestId()), owner()));
    }

    @Override
    public void extendAuthorization(ExtendAuthorizationRequest request, StreamObserver<Authorization> observer) {
        UnaryCalls.respondToMutation(observer, () -> authorizations.extend(request, key(request.getRequestId()), owner()));
    }

    @Override
    public void listAuthorizationEvents(ListAuthorizationEventsRequest request,
                                        StreamObserver<ListAuthorizationEventsResponse> observer) {
        UnaryCalls.respond(observer, () -> events.list(request, owner()));
    }

    /**
     * Opens the watch and returns: the stream is fed by {@link AuthorizationEventWatches}' poller,
     * so it holds no call worker (CallAdmission) while it is open.
     */
    @Override
    public void watchAuthorizationEvents(WatchAuthorizationEventsRequest request,
                                         StreamObserver<WatchAuthorizationEventsResponse> observer) {
        GrpcWatchSink sink = new GrpcWatchSink((ServerCallStreamObserver<WatchAuthorizationEventsResponse>) observer);
        try {
            Caller caller = Caller.current();
            watches.open(request, caller.subject(), caller.expiresAt(), sink);
        } catch (RuntimeException e) {
            sink.fail(e);
        }
    }

    /** The verified caller's subject: the owner every account access is checked against. */
    private static String owner() {
        return Caller.current().subject();
    }

    private static String key(String requestId) {
        return IdempotencyKey.resolve(requestId, CallMetadata.IDEMPOTENCY_KEY.get());
    }
}
