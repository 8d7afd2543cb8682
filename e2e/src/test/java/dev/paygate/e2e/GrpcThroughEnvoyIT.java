package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.type.Money;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.Authorization.DeclineReason;
import dev.paygate.v1.Authorization.State;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import dev.paygate.v1.GetAuthorizationRequest;
import dev.paygate.v1.ListAuthorizationsRequest;
import dev.paygate.v1.ListAuthorizationsResponse;
import dev.paygate.v1.VoidAuthorizationRequest;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The same flows as {@link RestTranscodingIT} with the grpc-java client, through Envoy's public
 * port: results, and error statuses whose AIP-193 details survive the trip through Envoy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EndToEnd
class GrpcThroughEnvoyIT {

    private Edge edge;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
    }

    @Test
    void createAccount_returnsAnOpenAccountWithItsWholeLimitAvailable() {
        Account account = createAccount(500);

        assertThat(account.getName()).matches("accounts/[0-9a-f-]{36}");
        assertThat(account.getState()).isEqualTo(Account.State.OPEN);
        assertThat(account.getCreditLimit()).isEqualTo(eur(500));
        assertThat(account.getHeld()).isEqualTo(eur(0));
        assertThat(account.getAvailable()).isEqualTo(eur(500));
        assertThat(getAccount(account.getName())).isEqualTo(account);
    }

    @Test
    void authorize_withinTheLimit_approvesAndHoldsTheAmount() {
        String account = createAccount(500).getName();

        Authorization approved = authorize(account, 120);

        assertThat(approved.getState()).isEqualTo(State.APPROVED);
        assertThat(approved.getDeclineReason()).isEqualTo(DeclineReason.DECLINE_REASON_UNSPECIFIED);
        assertThat(approved.hasExpireTime()).isTrue();
        assertThat(getAccount(account).getHeld()).isEqualTo(eur(120));
        assertThat(getAccount(account).getAvailable()).isEqualTo(eur(380));
        assertThat(edge.authorizations().getAuthorization(GetAuthorizationRequest.newBuilder()
                .setName(approved.getName()).build())).isEqualTo(approved);
    }

    @Test
    void authorize_overTheLimit_declinesWithInsufficientFunds() {
        String account = createAccount(100).getName();

        Authorization declined = authorize(account, 101);

        assertThat(declined.getState()).isEqualTo(State.DECLINED);
        assertThat(declined.getDeclineReason()).isEqualTo(DeclineReason.INSUFFICIENT_FUNDS);
        assertThat(getAccount(account).getHeld()).isEqualTo(eur(0));
    }

    @Test
    void listAuthorizations_inPagesOfTwo_returnsEveryAuthorizationOnceNewestFirst() {
        String account = createAccount(1000).getName();
        List<String> created = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            created.add(0, authorize(account, i).getName());
        }

        List<String> listed = new ArrayList<>();
        List<Integer> pageSizes = new ArrayList<>();
        String token = "";
        for (int page = 0; page < 10; page++) {
            ListAuthorizationsResponse response = edge.authorizations().listAuthorizations(
                    ListAuthorizationsRequest.newBuilder().setParent(account).setPageSize(2).setPageToken(token).build());
            response.getAuthorizationsList().forEach(a -> listed.add(a.getName()));
            pageSizes.add(response.getAuthorizationsCount());
            token = response.getNextPageToken();
            if (token.isEmpty()) {
                break;
            }
        }

        assertThat(pageSizes).containsExactly(2, 2, 1);
        assertThat(new HashSet<>(listed)).as("no repeats").hasSize(listed.size());
        assertThat(listed).as("no gaps, newest first").isEqualTo(created);
    }

    @Test
    void listAuthorizations_filteredByState_returnsOnlyThatState() {
        String account = createAccount(100).getName();
        String approved = authorize(account, 10).getName();
        authorize(account, 1000);
        voidAuthorization(authorize(account, 20).getName());

        ListAuthorizationsResponse response = edge.authorizations().listAuthorizations(
                ListAuthorizationsRequest.newBuilder().setParent(account).setState(State.APPROVED).build());

        assertThat(response.getAuthorizationsList()).extracting(Authorization::getName).containsExactly(approved);
    }

    @Test
    void capture_withoutAmount_capturesTheWholeAmount() {
        String account = createAccount(500).getName();
        String authorization = authorize(account, 100).getName();

        Authorization captured = edge.authorizations().captureAuthorization(
                CaptureAuthorizationRequest.newBuilder().setName(authorization).build());

        assertThat(captured.getState()).isEqualTo(State.CAPTURED);
        assertThat(captured.getCapturedAmount()).isEqualTo(eur(100));
        Account balances = getAccount(account);
        assertThat(balances.getHeld()).isEqualTo(eur(0));
        assertThat(balances.getCaptured()).isEqualTo(eur(100));
        assertThat(balances.getAvailable()).isEqualTo(eur(400));
    }

    @Test
    void capture_withAmount_capturesThatPartAndReleasesTheRest() {
        String account = createAccount(500).getName();
        String authorization = authorize(account, 100).getName();

        Authorization captured = edge.authorizations().captureAuthorization(
                CaptureAuthorizationRequest.newBuilder().setName(authorization).setAmount(eur(40)).build());

        assertThat(captured.getState()).isEqualTo(State.CAPTURED);
        assertThat(captured.getCapturedAmount()).isEqualTo(eur(40));
        Account balances = getAccount(account);
        assertThat(balances.getHeld()).isEqualTo(eur(0));
        assertThat(balances.getCaptured()).isEqualTo(eur(40));
        assertThat(balances.getAvailable()).isEqualTo(eur(460));
    }

    @Test
    void void_releasesTheHold() {
        String account = createAccount(500).getName();
        String authorization = authorize(account, 75).getName();

        Authorization voided = voidAuthorization(authorization);

        assertThat(voided.getState()).isEqualTo(State.VOIDED);
        assertThat(getAccount(account).getHeld()).isEqualTo(eur(0));
        assertThat(getAccount(account).getAvailable()).isEqualTo(eur(500));
    }

    @Test
    void captureAfterVoid_isFailedPreconditionWithItsErrorInfoIntactAndChangesNothing() {
        String account = createAccount(500).getName();
        String authorization = authorize(account, 50).getName();
        voidAuthorization(authorization);
        Account before = getAccount(account);

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                () -> edge.authorizations().captureAuthorization(
                        CaptureAuthorizationRequest.newBuilder().setName(authorization).build()));

        assertThat(error).as("capture after void must fail").isNotNull();
        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        ErrorInfo info = detail(error, ErrorInfo.class);
        assertThat(info.getReason()).isEqualTo("AUTHORIZATION_NOT_APPROVED");
        assertThat(info.getDomain()).isEqualTo("paygate.dev");
        assertThat(info.getMetadataMap()).containsEntry("state", "VOIDED");
        assertThat(getAccount(account)).isEqualTo(before);
    }

    @Test
    void invalidArgument_carriesBadRequestFieldViolationsAndChangesNothing() {
        String account = createAccount(500).getName();
        Account before = getAccount(account);

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                () -> edge.authorizations().createAuthorization(CreateAuthorizationRequest.newBuilder()
                        .setParent(account)
                        .setAuthorization(authorization(10).setMerchantCategoryCode("12"))
                        .build()));

        assertThat(error).as("an invalid merchant category code must fail").isNotNull();
        assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(detail(error, ErrorInfo.class).getReason()).isEqualTo("INVALID_ARGUMENT");
        assertThat(detail(error, BadRequest.class).getFieldViolationsList())
                .extracting(BadRequest.FieldViolation::getField)
                .containsExactly("authorization.merchant_category_code");
        assertThat(getAccount(account)).isEqualTo(before);
        assertThat(listAll(account)).isEmpty();
    }

    @Test
    void unknownAccount_isPermissionDeniedWithErrorInfo_likeSomeoneElses() {
        String missing = "accounts/" + UUID.randomUUID();

        StatusRuntimeException error = catchThrowableOfType(StatusRuntimeException.class,
                () -> getAccount(missing));

        assertThat(error).as("an unknown account must fail").isNotNull();
        assertThat(error.getStatus().getCode()).as("AIP-211: no probing for names").isEqualTo(Status.Code.PERMISSION_DENIED);
        ErrorInfo info = detail(error, ErrorInfo.class);
        assertThat(info.getReason()).isEqualTo("ACCOUNT_ACCESS_DENIED");
    }

    @Test
    void authorize_withARepeatedIdempotencyKeyMetadata_returnsTheFirstAuthorizationAndHoldsOnce() {
        String account = createAccount(500).getName();
        Map<String, String> key = Map.of("idempotency-key", "grpc-" + UUID.randomUUID());
        CreateAuthorizationRequest request = CreateAuthorizationRequest.newBuilder()
                .setParent(account).setAuthorization(authorization(60)).build();

        Authorization first = edge.authorizations(key).createAuthorization(request);
        Authorization repeat = edge.authorizations(key).createAuthorization(request);

        assertThat(repeat).isEqualTo(first);
        assertThat(getAccount(account).getHeld()).isEqualTo(eur(60));
        assertThat(listAll(account)).containsExactly(first.getName());
    }

    @Test
    void authorize_withARepeatedRequestId_returnsTheFirstAuthorizationAndHoldsOnce() {
        String account = createAccount(500).getName();
        CreateAuthorizationRequest request = CreateAuthorizationRequest.newBuilder()
                .setParent(account).setAuthorization(authorization(70))
                .setRequestId(UUID.randomUUID().toString()).build();

        Authorization first = edge.authorizations().createAuthorization(request);
        Authorization repeat = edge.authorizations().createAuthorization(request);

        assertThat(repeat).isEqualTo(first);
        assertThat(getAccount(account).getHeld()).isEqualTo(eur(70));
        assertThat(listAll(account)).containsExactly(first.getName());
    }

    @Test
    void twoRequestMessagesInAUnaryCall_areInvalidArgument_triedOnce_andHoldNothing() throws Exception {
        String account = createAccount(500).getName();
        CreateAuthorizationRequest request = CreateAuthorizationRequest.newBuilder()
                .setParent(account).setAuthorization(authorization(10)).build();
        long retriesBefore = edge.stack().envoy().stat("cluster.paygate_service.upstream_rq_retry");

        // A keyed write and a read: the routes that retry a reset.
        StatusRuntimeException write = twoMessages(AuthorizationServiceGrpc.getCreateAuthorizationMethod(), request,
                Map.of("idempotency-key", UUID.randomUUID().toString()));
        StatusRuntimeException read = twoMessages(AccountServiceGrpc.getGetAccountMethod(),
                GetAccountRequest.newBuilder().setName(account).build(), Map.of());

        for (StatusRuntimeException error : List.of(write, read)) {
            assertThat(error.getStatus().getCode()).as("%s", error.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(detail(error, ErrorInfo.class).getReason()).isEqualTo("MALFORMED_REQUEST");
        }
        assertThat(edge.stack().envoy().stat("cluster.paygate_service.upstream_rq_retry")).as("no retry")
                .isEqualTo(retriesBefore);
        assertThat(getAccount(account).getHeld()).isEqualTo(eur(0));
        assertThat(listAll(account)).isEmpty();
    }

    // --- helpers

    /** A unary method called with the same request message sent twice, as a careless client can. */
    private <Q, R> StatusRuntimeException twoMessages(MethodDescriptor<Q, R> unary, Q request, Map<String, String> metadata)
            throws Exception {
        MethodDescriptor<Q, R> streaming = unary.toBuilder().setType(MethodDescriptor.MethodType.CLIENT_STREAMING).build();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        StreamObserver<Q> requests = ClientCalls.asyncClientStreamingCall(
                ClientInterceptors.intercept(edge.channel(), edge.headers(metadata))
                        .newCall(streaming, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)),
                new StreamObserver<R>() {
                    @Override
                    public void onNext(R response) {
                    }

                    @Override
                    public void onError(Throwable error) {
                        outcome.complete(error);
                    }

                    @Override
                    public void onCompleted() {
                        outcome.complete(new AssertionError("served"));
                    }
                });
        requests.onNext(request);
        requests.onNext(request);
        requests.onCompleted();
        Throwable error = outcome.get(15, TimeUnit.SECONDS);
        assertThat(error).isInstanceOf(StatusRuntimeException.class);
        return (StatusRuntimeException) error;
    }

    private Account createAccount(long limit) {
        return edge.accounts().createAccount(CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(eur(limit)).setDisplayName("e2e"))
                .build());
    }

    private Account getAccount(String name) {
        return edge.accounts().getAccount(GetAccountRequest.newBuilder().setName(name).build());
    }

    private Authorization authorize(String account, long units) {
        return edge.authorizations().createAuthorization(CreateAuthorizationRequest.newBuilder()
                .setParent(account).setAuthorization(authorization(units)).build());
    }

    private Authorization voidAuthorization(String name) {
        return edge.authorizations().voidAuthorization(VoidAuthorizationRequest.newBuilder().setName(name).build());
    }

    private List<String> listAll(String account) {
        return edge.authorizations().listAuthorizations(ListAuthorizationsRequest.newBuilder()
                        .setParent(account).setPageSize(100).build())
                .getAuthorizationsList().stream().map(Authorization::getName).toList();
    }

    private static Authorization.Builder authorization(long units) {
        return Authorization.newBuilder().setAmount(eur(units)).setMerchantId("shop-1").setMerchantCategoryCode("5411");
    }

    private static Money eur(long units) {
        return Money.newBuilder().setCurrencyCode("EUR").setUnits(units).build();
    }

    /** The first detail of this type in the status the call failed with; fails when there is none. */
    private static <T extends Message> T detail(StatusRuntimeException error, Class<T> type) {
        com.google.rpc.Status status = StatusProto.fromThrowable(error);
        assertThat(status).as("a google.rpc.Status in the trailers of %s", error).isNotNull();
        for (Any any : status.getDetailsList()) {
            if (any.is(type)) {
                try {
                    return any.unpack(type);
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError("corrupt " + type.getSimpleName(), e);
                }
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + status);
    }
}
