package dev.paygate.auth;

import static dev.paygate.testing.Fixtures.count;
import static dev.paygate.testing.Fixtures.newAccount;
import static dev.paygate.testing.StatusDetails.errorInfo;
import static dev.paygate.testing.StatusDetails.reason;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import dev.paygate.v1.ListAuthorizationsRequest;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Attacks on authentication, straight at the service over a real gRPC channel (no Envoy in
 * front): every forged, stale or misdirected token is UNAUTHENTICATED, a token without the
 * method's scope is PERMISSION_DENIED, and no refused call changes anything.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthenticationTest {

    private RunningService service;

    @BeforeAll
    void start() {
        service = RunningService.start(TestDatabase.postgres(), Map.of("paygate.reflection.enabled", true));
    }

    @AfterAll
    void stop() throws InterruptedException {
        service.close();
    }

    Stream<Arguments> badTokens() throws JOSEException {
        Instant now = Instant.now();
        JWTClaimsSet valid = TestTokens.claims("mallory", TestTokens.READ, TestTokens.WRITE).build();
        return Stream.of(
                Arguments.of("expired beyond the 30 s skew", TestTokens.sign(TestTokens.claims("mallory", TestTokens.WRITE)
                        .expirationTime(Date.from(now.minusSeconds(60))).build())),
                Arguments.of("not yet valid beyond the 30 s skew", TestTokens.sign(TestTokens.claims("mallory", TestTokens.WRITE)
                        .notBeforeTime(Date.from(now.plusSeconds(300))).build())),
                Arguments.of("wrong issuer", TestTokens.sign(TestTokens.claims("mallory", TestTokens.WRITE)
                        .issuer("https://evil.example").build())),
                Arguments.of("wrong audience", TestTokens.sign(TestTokens.claims("mallory", TestTokens.WRITE)
                        .audience("some-other-api").build())),
                Arguments.of("no exp", TestTokens.sign(TestTokens.claims("mallory", TestTokens.WRITE)
                        .expirationTime(null).build())),
                Arguments.of("valid for ten years", TestTokens.sign(TestTokens.claims("mallory", TestTokens.WRITE)
                        .expirationTime(Date.from(now.plus(Duration.ofDays(3650)))).build())),
                Arguments.of("exp a minute beyond the edge's 24 h max_lifetime", TestTokens.sign(TestTokens.claims("mallory",
                        TestTokens.WRITE).expirationTime(Date.from(now.plus(Duration.ofHours(24).plusMinutes(1)))).build())),
                Arguments.of("no sub", TestTokens.sign(TestTokens.claims("mallory", TestTokens.WRITE)
                        .subject(null).build())),
                Arguments.of("sub of 256 characters", TestTokens.sign(TestTokens.claims("m".repeat(256), TestTokens.WRITE)
                        .build())),
                Arguments.of("alg none", new PlainJWT(valid).serialize()),
                Arguments.of("HS256 keyed with the public key's bytes", hmacWithPublicKey(valid)),
                Arguments.of("signed by an unknown key with the trusted key id",
                        TestTokens.sign(valid, TestTokens.newKey(TestTokens.signingKey().getKeyID()))),
                Arguments.of("tampered payload", tamperedSubject(TestTokens.sign(valid), TestTokens.DEFAULT_SUBJECT)),
                Arguments.of("garbage", "not.a.jwt"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTokens")
    void badToken_isUnauthenticated_andChangesNothing(String attack, String token) {
        long accountsBefore = accounts();

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> accountsAs(service.channelAs(token)).createAccount(newAccount(100)));

        assertThat(e).as("%s: the call was refused", attack).isNotNull();
        assertThat(e.getStatus().getCode()).as(attack).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(reason(e)).isEqualTo("TOKEN_INVALID");
        assertThat(errorInfo(e).orElseThrow().getDomain()).isEqualTo("paygate.dev");
        assertThat(challenge(e)).as("RFC 6750 challenge").isEqualTo("Bearer realm=\"paygate\", error=\"invalid_token\"");
        assertThat(accounts()).isEqualTo(accountsBefore);
    }

    @Test
    void noToken_isUnauthenticatedWithTokenMissing_andChangesNothing() {
        long accountsBefore = accounts();

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> accountsAs(service.channelWithoutToken()).createAccount(newAccount(100)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(reason(e)).isEqualTo("TOKEN_MISSING");
        assertThat(challenge(e)).as("no error code without a token (RFC 6750 3.1)").isEqualTo("Bearer realm=\"paygate\"");
        assertThat(accounts()).isEqualTo(accountsBefore);
    }

    @Test
    void malformedAuthorizationEntries_areUnauthenticated() {
        String token = TestTokens.token("mallory", TestTokens.WRITE);
        for (String value : new String[] {token, "Basic " + token, "Bearer ", "Bearer" + token}) {
            Metadata headers = new Metadata();
            headers.put(AuthInterceptor.AUTHORIZATION, value);
            assertThat(statusOf(withHeaders(headers))).as(value).isEqualTo(Status.Code.UNAUTHENTICATED);
        }
        Metadata twice = new Metadata();
        twice.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
        twice.put(AuthInterceptor.AUTHORIZATION, "Bearer " + TestTokens.token("someone-else", TestTokens.WRITE));
        assertThat(statusOf(withHeaders(twice))).isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    @Test
    void schemeSpelledOtherThanBearer_isRefused_asTheEdgeRefusesIt() {
        // The edge's jwt_authn finds "Bearer " case-sensitively: one rule in both places.
        String token = TestTokens.token("careless-client", TestTokens.WRITE);
        long accountsBefore = accounts();
        for (String value : new String[] {"bearer " + token, "BEARER " + token, "Token Bearer " + token}) {
            Metadata headers = new Metadata();
            headers.put(AuthInterceptor.AUTHORIZATION, value);

            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                    () -> accountsAs(withHeaders(headers)).createAccount(newAccount(100)));

            assertThat(e).as("%s: the call was refused", value).isNotNull();
            assertThat(e.getStatus().getCode()).as(value).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(reason(e)).isEqualTo("TOKEN_INVALID");
        }
        assertThat(accounts()).isEqualTo(accountsBefore);
    }

    @Test
    void tokenExpiringJustInsideTheMaximumLifetime_isAccepted() {
        String token = TestTokens.sign(TestTokens.claims("long-lived-client", TestTokens.WRITE)
                .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(24).minusMinutes(1)))).build());

        assertThat(accountsAs(service.channelAs(token)).createAccount(newAccount(100)).getName()).startsWith("accounts/");
    }

    @Test
    void writeWithReadOnlyToken_isPermissionDeniedWithInsufficientScope_andChangesNothing() {
        long accountsBefore = accounts();

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> accountsAs(service.channelAs(TestTokens.token("reader", TestTokens.READ)))
                        .createAccount(newAccount(100)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(reason(e)).isEqualTo("INSUFFICIENT_SCOPE");
        assertThat(errorInfo(e).orElseThrow().getMetadataMap()).containsEntry("required_scope", "payments.write");
        assertThat(challenge(e)).isEqualTo("Bearer realm=\"paygate\", error=\"insufficient_scope\", scope=\"payments.write\"");
        assertThat(accounts()).isEqualTo(accountsBefore);
    }

    @Test
    void readWithWriteOnlyToken_isPermissionDeniedWithInsufficientScope() {
        Channel writer = service.channelAs(TestTokens.token("writer", TestTokens.WRITE));
        String account = accountsAs(writer).createAccount(newAccount(100)).getName();

        StatusRuntimeException get = catchThrowableOfType(StatusRuntimeException.class,
                () -> accountsAs(writer).getAccount(GetAccountRequest.newBuilder().setName(account).build()));
        StatusRuntimeException list = catchThrowableOfType(StatusRuntimeException.class,
                () -> AuthorizationServiceGrpc.newBlockingStub(writer).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .listAuthorizations(ListAuthorizationsRequest.newBuilder().setParent(account).build()));

        assertThat(get.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(reason(get)).isEqualTo("INSUFFICIENT_SCOPE");
        assertThat(list.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(reason(list)).isEqualTo("INSUFFICIENT_SCOPE");
    }

    @Test
    void tokenWithScopeListedAmongOthers_isAccepted() {
        Channel caller = service.channelAs(TestTokens.token("multi-scope", "openid", TestTokens.WRITE, "profile"));

        assertThat(accountsAs(caller).createAccount(newAccount(100)).getName()).startsWith("accounts/");
    }

    @Test
    void healthCheck_needsNoToken() {
        ServingStatus status = HealthGrpc.newBlockingStub(service.channelWithoutToken())
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService("paygate.v1.AccountService").build())
                .getStatus();

        assertThat(status).isEqualTo(ServingStatus.SERVING);
    }

    @Test
    void reflection_needsAValidToken() throws Exception {
        assertThatThrownBy(() -> listServices(service.channelWithoutToken()))
                .hasCauseInstanceOf(StatusRuntimeException.class)
                .cause().satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));

        ServerReflectionResponse listed = listServices(service.channelAs(TestTokens.token("developer")));
        assertThat(listed.getListServicesResponse().getServiceList())
                .anySatisfy(s -> assertThat(s.getName()).isEqualTo("paygate.v1.AccountService"));
    }

    @Test
    void serviceWithoutKeySet_refusesToStart() {
        assertThatThrownBy(() -> RunningService.start(TestDatabase.postgres(), Map.of("paygate.auth.jwks", "")).close())
                .hasStackTraceContaining("PAYGATE_JWKS (paygate.auth.jwks) is not set");
        assertThatThrownBy(() -> RunningService.start(TestDatabase.postgres(),
                Map.of("paygate.auth.jwks", "http://idp.example/jwks.json")).close())
                .hasStackTraceContaining("must be a file path or an https:// URL");
    }

    /** The WWW-Authenticate trailer a refused call carried, or null. */
    private static String challenge(StatusRuntimeException e) {
        return e.getTrailers().get(Metadata.Key.of("www-authenticate", Metadata.ASCII_STRING_MARSHALLER));
    }

    private long accounts() {
        return count(service.dataSource(), "SELECT COUNT(*) FROM accounts");
    }

    private Status.Code statusOf(Channel channel) {
        return catchThrowableOfType(StatusRuntimeException.class,
                () -> accountsAs(channel).createAccount(newAccount(100))).getStatus().getCode();
    }

    private Channel withHeaders(Metadata headers) {
        return ClientInterceptors.intercept(service.channelWithoutToken(), MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private static AccountServiceGrpc.AccountServiceBlockingStub accountsAs(Channel channel) {
        return AccountServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    /** An attacker who read the public JWKS and hopes the server verifies HS256 with it. */
    private static String hmacWithPublicKey(JWTClaimsSet claims) throws JOSEException {
        byte[] secret = TestTokens.signingKey().toECPublicKey().getEncoded();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
                .keyID(TestTokens.signingKey().getKeyID()).build(), claims);
        jwt.sign(new MACSigner(secret));
        return jwt.serialize();
    }

    /** A real token whose payload is swapped for the victim's subject, signature kept. */
    private static String tamperedSubject(String token, String victim) {
        String[] parts = token.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("\"sub\":\"mallory\"", "\"sub\":\"" + victim + "\"");
        assertThat(payload).contains(victim);
        return parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    }

    private static ServerReflectionResponse listServices(Channel channel) throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .withDeadlineAfter(5, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse response) {
                        answer.complete(response);
                    }

                    @Override
                    public void onError(Throwable error) {
                        answer.completeExceptionally(error);
                    }

                    @Override
                    public void onCompleted() {
                        answer.completeExceptionally(new AssertionError("no reflection response"));
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
        requests.onCompleted();
        return answer.get(5, TimeUnit.SECONDS);
    }
}
