package dev.paygate.e2e;

import static dev.paygate.e2e.RestPayments.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.paygate.devstack.credentials.DevSigningKey;
import dev.paygate.devstack.credentials.TokenPolicy;
import dev.paygate.e2e.Edge.Rest;
import dev.paygate.e2e.RestPayments.Balances;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who may call, played by an attacker and by careless clients against the real edge and the real
 * service: every forged, stale or foreign token is refused at the edge with 401 / UNAUTHENTICATED
 * before it reaches the service or an identity bucket; one caller cannot touch another's account;
 * scopes split reads from writes; the per-address floor holds however many identities one address
 * uses; the service refuses a direct call without a token; the public port speaks only TLS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EndToEnd
class IdentityIT {

    private static final String GET_ACCOUNT = "paygate.v1.AccountService/GetAccount";
    private static final String CREATE_ACCOUNT = "paygate.v1.AccountService/CreateAccount";
    private static final String READ_BUCKET_CHECKS = "paygate_ratelimit_reads.http_local_rate_limit.enabled";
    private static final String WRITE_BUCKET_CHECKS = "paygate_ratelimit_writes.http_local_rate_limit.enabled";
    private static final String FLOOR_REFUSALS = "paygate_ratelimit_per_address.http_local_rate_limit.rate_limited";
    private static final long FLOOR_BURST = 400;
    private static final long FLOOR_REFILL_PER_SECOND = 200;
    private static final Metadata.Key<String> WWW_AUTHENTICATE =
            Metadata.Key.of("www-authenticate", Metadata.ASCII_STRING_MARSHALLER);
    private static final String CREATE_BODY = """
            {"currencyCode": "EUR", "creditLimit": {"currencyCode": "EUR", "units": "500"}}""";

    /** A token that must be refused, and why. */
    record BadToken(String attack, String authorization) {
        @Override
        public String toString() {
            return attack;
        }
    }

    private Edge edge;
    private RestPayments rest;
    private ServiceMetrics service;
    private String account;
    private ExecutorService callers;

    @BeforeAll
    void setUp(Edge started) {
        edge = started;
        rest = new RestPayments(edge);
        service = ServiceMetrics.of(edge, 0);
        account = rest.createAccount(500).get("name").asText();
        callers = Executors.newFixedThreadPool(16);
    }

    @AfterAll
    void stopEdge() {
        if (callers != null) {
            callers.shutdownNow();
        }
    }

    // --- tokens the edge must refuse

    Stream<BadToken> badTokens() {
        Instant now = Instant.now();
        DevSigningKey key = edge.signingKey();
        String valid = edge.token("identity-victim");
        ECKey stranger = DevSigningKey.newKey();
        ECKey strangerWithOurKid = DevSigningKey.newKey();
        return Stream.of(
                new BadToken("no token at all", ""),
                new BadToken("a Basic credential instead of a bearer token", "Basic dXNlcjpwYXNzd29yZA=="),
                new BadToken("a bearer scheme with garbage", "Bearer not.a.jwt"),
                new BadToken("expired two minutes ago (beyond the 30 s skew)", bearer(key.sign(claims()
                        .issueTime(Date.from(now.minusSeconds(3600))).notBeforeTime(Date.from(now.minusSeconds(3600)))
                        .expirationTime(Date.from(now.minusSeconds(120))).build()))),
                new BadToken("not valid for another two minutes", bearer(key.sign(claims()
                        .notBeforeTime(Date.from(now.plusSeconds(120))).build()))),
                new BadToken("another issuer", bearer(key.sign(claims().issuer("https://idp.attacker.example").build()))),
                new BadToken("another audience", bearer(key.sign(claims().audience("some-other-api").build()))),
                new BadToken("no expiry", bearer(key.sign(claims().expirationTime(null).build()))),
                new BadToken("valid for two days (over the one-day maximum)", bearer(key.sign(claims()
                        .expirationTime(Date.from(now.plus(Duration.ofDays(2)))).build()))),
                new BadToken("alg none", bearer(new PlainJWT(claims().build()).serialize())),
                new BadToken("HS256 signed with the public JWKS as the secret", bearer(hmacWithPublicKey(key))),
                new BadToken("signed by a key the JWKS does not list", bearer(DevSigningKey.sign(stranger, claims().build()))),
                new BadToken("a stranger's key claiming our key id", bearer(DevSigningKey.sign(
                        new ECKey.Builder(strangerWithOurKid).keyID(key.key().getKeyID()).build(), claims().build()))),
                new BadToken("a valid token whose payload was edited (sub changed)", bearer(tampered(valid))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTokens")
    @Order(1)
    void badToken_isRefusedAtTheEdge_withNoCallToTheServiceAndNoBucketCharged(BadToken token) {
        Balances before = rest.balances(account);
        long serviceReads = service.calls(GET_ACCOUNT);
        long serviceWrites = service.calls(CREATE_ACCOUNT);
        long readBuckets = envoy().stat(READ_BUCKET_CHECKS);
        long writeBuckets = envoy().stat(WRITE_BUCKET_CHECKS);
        Map<String, String> headers = Map.of("authorization", token.authorization());

        Rest read = edge.send("GET", "/v1/" + account, null, headers);
        Rest write = edge.send("POST", "/v1/accounts", CREATE_BODY, headers);
        Rest authorize = rest.authorize(account, 10, headers);
        Status.Code grpcRead = grpcCode(() -> edge.accounts(headers).getAccount(
                GetAccountRequest.newBuilder().setName(account).build()));
        Status.Code grpcWrite = grpcCode(() -> edge.accounts(headers).createAccount(CreateAccountRequest.newBuilder()
                .setAccount(dev.paygate.v1.Account.newBuilder().setCurrencyCode("EUR")
                        .setCreditLimit(com.google.type.Money.newBuilder().setCurrencyCode("EUR").setUnits(500)))
                .build()));

        System.out.printf("%s: REST read %d, write %d, authorize %d; gRPC read %s, write %s%n", token,
                read.status(), write.status(), authorize.status(), grpcRead, grpcWrite);
        for (Rest answer : List.of(read, write, authorize)) {
            assertError(answer, 401, 16, "UNAUTHENTICATED");
            assertThat(answer.header("www-authenticate")).as("the challenge names the scheme").startsWith("Bearer");
        }
        assertThat(grpcRead).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(grpcWrite).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(service.calls(GET_ACCOUNT)).as("the service saw no read").isEqualTo(serviceReads);
        assertThat(service.calls(CREATE_ACCOUNT)).as("the service saw no write").isEqualTo(serviceWrites);
        assertThat(envoy().stat(READ_BUCKET_CHECKS)).as("no identity bucket was consulted").isEqualTo(readBuckets);
        assertThat(envoy().stat(WRITE_BUCKET_CHECKS)).isEqualTo(writeBuckets);
        assertThat(rest.balances(account)).as("nothing changed").isEqualTo(before);
    }

    @Test
    @Order(2)
    void tokenInTheAccessTokenQueryParameter_isNotAccepted() {
        // Envoy also reads ?access_token= unless from_headers is set; a token there ends up in logs.
        Rest answer = edge.send("GET", "/v1/" + account + "?access_token=" + edge.token(edge.subject()), null,
                Map.of("authorization", ""));

        assertError(answer, 401, 16, "UNAUTHENTICATED");
    }

    @Test
    @Order(2)
    void validToken_isServed_andTheServiceSeesTheCall() {
        long before = service.calls(GET_ACCOUNT);

        JsonNode fetched = rest.account(account);

        assertThat(fetched.get("name").asText()).isEqualTo(account);
        assertThat(service.calls(GET_ACCOUNT)).isEqualTo(before + 1);
    }

    // --- accounts belong to their creator

    @Test
    @Order(3)
    void anotherCaller_cannotReadListAuthorizeCaptureVoidOrReadEventsOf_theOwnersAccount_overRestOrGrpc() {
        String owned = rest.createAccount(500).get("name").asText();
        JsonNode hold = rest.authorized(owned, 50);
        String authorization = hold.get("name").asText();
        Balances before = rest.balances(owned);
        Map<String, String> intruder = Map.of("authorization", Edge.bearer(edge.token("identity-intruder")));

        List<Rest> attempts = List.of(
                edge.send("GET", "/v1/" + owned, null, intruder),
                edge.send("GET", "/v1/" + owned + "/authorizations", null, intruder),
                edge.send("GET", "/v1/" + authorization, null, intruder),
                rest.authorize(owned, 10, intruder),
                edge.send("POST", "/v1/" + authorization + ":capture", "{}", intruder),
                edge.send("POST", "/v1/" + authorization + ":void", "{}", intruder),
                edge.send("GET", "/v1/" + owned + "/authorizationEvents", null, intruder),
                edge.send("GET", "/v1/" + owned + "/authorizationEvents?authorization=" + authorization, null, intruder));
        Status.Code grpcRead = grpcCode(() -> edge.accounts(intruder).getAccount(
                GetAccountRequest.newBuilder().setName(owned).build()));
        Status.Code grpcVoid = grpcCode(() -> edge.authorizations(intruder).voidAuthorization(
                dev.paygate.v1.VoidAuthorizationRequest.newBuilder().setName(authorization).build()));
        Status.Code grpcEvents = grpcCode(() -> edge.authorizations(intruder).listAuthorizationEvents(
                dev.paygate.v1.ListAuthorizationEventsRequest.newBuilder().setParent(owned).build()));

        attempts.forEach(answer -> assertError(answer, 403, 7, "ACCOUNT_ACCESS_DENIED"));
        assertThat(grpcRead).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(grpcVoid).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(grpcEvents).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(rest.balances(owned)).as("the owner's account is untouched").isEqualTo(before);
        assertThat(rest.authorizationNames(owned)).containsExactly(authorization);
        Rest events = edge.get("/v1/" + owned + "/authorizationEvents?authorization=" + authorization);
        assertThat(events.status()).as("the owner's events: %s", events.text()).isEqualTo(200);
        assertThat(events.json().get("authorizationEvents")).hasSize(1);
        assertThat(events.json().get("authorizationEvents").get(0).get("type").asText()).isEqualTo("APPROVED");
    }

    @Test
    @Order(3)
    void aMissingAccount_looksTheSameAsSomeoneElses() {
        // AIP-211: refusing with NOT_FOUND for missing and PERMISSION_DENIED for foreign accounts
        // would let a caller probe which account names exist.
        Rest missing = edge.send("GET", "/v1/accounts/00000000-0000-0000-0000-000000000000", null, Map.of());
        Rest foreign = edge.send("GET", "/v1/" + account, null,
                Map.of("authorization", Edge.bearer(edge.token("identity-prober"))));

        assertError(missing, 403, 7, "ACCOUNT_ACCESS_DENIED");
        assertError(foreign, 403, 7, "ACCOUNT_ACCESS_DENIED");
    }

    @Test
    @Order(3)
    void readOnlyToken_canRead_butNotWrite() {
        Map<String, String> reader = Map.of("authorization", Edge.bearer(edge.token(edge.subject(), "payments.read")));
        Balances before = rest.balances(account);

        Rest read = edge.send("GET", "/v1/" + account, null, reader);
        Rest write = rest.authorize(account, 10, reader);

        assertThat(read.status()).as("read: %s", read.text()).isEqualTo(200);
        assertError(write, 403, 7, "INSUFFICIENT_SCOPE");
        assertThat(rest.balances(account)).isEqualTo(before);
    }

    @Test
    @Order(3)
    void writeOnlyToken_canWrite_butNotRead() {
        Map<String, String> writer = Map.of("authorization", Edge.bearer(edge.token(edge.subject(), "payments.write")));

        Rest read = edge.send("GET", "/v1/" + account, null, writer);

        assertError(read, 403, 7, "INSUFFICIENT_SCOPE");
    }

    // --- one rule at the edge and in the service

    Stream<BadToken> tokensRefusedAtTheEdge() {
        Instant now = Instant.now();
        DevSigningKey key = edge.signingKey();
        String valid = edge.token(edge.subject());
        return Stream.of(
                new BadToken("the scheme in lower case", "bearer " + valid),
                new BadToken("the scheme in upper case", "BEARER " + valid),
                new BadToken("valid for ten years", bearer(key.sign(ownersClaims()
                        .expirationTime(Date.from(now.plus(Duration.ofDays(3650)))).build()))),
                new BadToken("exp 24 h and a minute ahead", bearer(key.sign(ownersClaims()
                        .expirationTime(Date.from(now.plus(Duration.ofHours(24).plusMinutes(1)))).build()))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tokensRefusedAtTheEdge")
    @Order(4)
    void tokenTheEdgeRefuses_isRefusedByTheServiceDirectToo(BadToken token) {
        Map<String, String> headers = Map.of("authorization", token.authorization());

        Rest atTheEdge = edge.send("GET", "/v1/" + account, null, headers);
        Status.Code direct = directRead(headers);

        assertError(atTheEdge, 401, 16, "UNAUTHENTICATED");
        assertThat(direct).as("the same token straight to the service").isEqualTo(Status.Code.UNAUTHENTICATED);
    }

    @Test
    @Order(4)
    void tokenExpiringJustInsideTheMaximumLifetime_isServedAtTheEdgeAndDirect() {
        Map<String, String> headers = Map.of("authorization", bearer(edge.signingKey().sign(ownersClaims()
                .expirationTime(Date.from(Instant.now().plus(Duration.ofHours(24).minusMinutes(1)))).build())));

        assertThat(edge.send("GET", "/v1/" + account, null, headers).status()).isEqualTo(200);
        assertThat(directRead(headers)).isEqualTo(Status.Code.OK);
    }

    @Test
    @Order(4)
    void tokenOnlyTheServiceRefuses_reachesRestAndGrpcClientsWithItsChallenge() {
        // jwt_authn finds "Bearer " anywhere in the value and lets this through; the service does not.
        Map<String, String> prefixed = Map.of("authorization", "Token " + bearer(edge.token(edge.subject())));
        // The edge does not bound sub; the service does (it becomes an account's owner).
        Map<String, String> longSubject = Map.of("authorization", bearer(edge.token("s".repeat(256))));
        String invalidToken = "Bearer realm=\"paygate\", error=\"invalid_token\"";

        for (Map<String, String> headers : List.of(prefixed, longSubject)) {
            Rest rest = edge.send("GET", "/v1/" + account, null, headers);
            StatusRuntimeException grpc = catchGrpc(() -> edge.accounts(headers).getAccount(
                    GetAccountRequest.newBuilder().setName(account).build()));

            assertError(rest, 401, 16, "TOKEN_INVALID");
            assertThat(rest.header("www-authenticate")).isEqualTo(invalidToken);
            assertThat(grpc.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(grpc.getTrailers().get(WWW_AUTHENTICATE)).isEqualTo(invalidToken);
        }
    }

    @Test
    @Order(4)
    void writeWithAReadOnlyToken_tellsRestClientsTheScopeItNeeds() {
        Map<String, String> reader = Map.of("authorization", Edge.bearer(edge.token(edge.subject(), "payments.read")));

        Rest write = rest.authorize(account, 10, reader);

        assertError(write, 403, 7, "INSUFFICIENT_SCOPE");
        assertThat(write.header("www-authenticate"))
                .isEqualTo("Bearer realm=\"paygate\", error=\"insufficient_scope\", scope=\"payments.write\"");
    }

    // --- the service holds callers that bypass Envoy to the same rules

    @Test
    @Order(4)
    void directCallToTheService_withoutAToken_isUnauthenticated_andWithAForgedSubjectHeaderToo() {
        ManagedChannel direct = edge.directChannel(0);
        try {
            AccountServiceGrpc.AccountServiceBlockingStub stub = AccountServiceGrpc.newBlockingStub(direct)
                    .withDeadlineAfter(5, TimeUnit.SECONDS);
            GetAccountRequest read = GetAccountRequest.newBuilder().setName(account).build();

            Status.Code anonymous = grpcCode(() -> stub.withInterceptors(
                    edge.headers(Map.of("authorization", ""))).getAccount(read));
            Status.Code forged = grpcCode(() -> stub.withInterceptors(edge.headers(Map.of("authorization", "",
                    "x-paygate-subject", edge.subject(), "x-client-id", edge.subject()))).getAccount(read));
            Status.Code owner = grpcCode(() -> stub.withInterceptors(edge.headers(Map.of())).getAccount(read));

            assertThat(anonymous).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(forged).as("identity headers are never trusted").isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(owner).as("the owner's own token works direct too").isEqualTo(Status.Code.OK);
        } finally {
            direct.shutdownNow();
        }
    }

    // --- the public port

    @Test
    @Order(4)
    void publicPort_speaksTls12OrNewer_withTheLocalCa_andOffersH2() throws IOException {
        try (SSLSocket socket = (SSLSocket) dev.paygate.devstack.credentials.EdgeTls
                .trusting(edge.stack().credentials().caCertificate()).getSocketFactory()
                .createSocket("localhost", edge.stack().envoyPort())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"h2", "http/1.1"});
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.startHandshake();

            assertThat(socket.getSession().getProtocol()).isIn("TLSv1.2", "TLSv1.3");
            assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
        }
    }

    @Test
    @Order(4)
    void plaintextHttp_onThePublicPort_getsNoHttpAnswer() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", edge.stack().envoyPort())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /v1/" + account + " HTTP/1.1\r\nhost: localhost\r\nauthorization: "
                    + Edge.bearer(edge.token(edge.subject())) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] answer = in.readNBytes(16);

            assertThat(new String(answer, StandardCharsets.US_ASCII)).doesNotStartWith("HTTP/");
        } catch (java.net.SocketException e) {
            // Reset by the TLS listener: also no HTTP answer.
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    // --- the per-address floor (last: it drains the address's bucket for this Envoy)

    @Test
    @Order(10)
    void fiftyIdentitiesFromOneAddress_togetherGetNoMoreThanTheFloor() {
        long refusedBefore = envoy().stat(FLOOR_REFUSALS);
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            tokens.add(Edge.bearer(edge.token("identity-sybil-" + i)));
        }
        long start = System.nanoTime();
        List<Future<Rest>> calls = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            for (String token : tokens) {
                // Each identity reads far less than its own bucket (200): only the floor can refuse.
                calls.add(callers.submit(() -> edge.send("GET", "/v1/" + account, null, Map.of("authorization", token))));
            }
        }
        List<Integer> statuses = statuses(calls);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        long refused = statuses.stream().filter(s -> s == 429).count();
        long served = statuses.size() - refused;
        System.out.printf("50 identities x 40 reads from one address in %d ms: %d served, %d refused (429)%n",
                elapsed.toMillis(), served, refused);
        assertThat(refused).as("the floor refuses some").isPositive();
        assertThat(served).as("never more than the floor's burst plus its refills")
                .isLessThanOrEqualTo(FLOOR_BURST + FLOOR_REFILL_PER_SECOND * (elapsed.toMillis() / 1000 + 1));
        assertThat(envoy().stat(FLOOR_REFUSALS) - refusedBefore).as("all refusals are the floor's").isEqualTo(refused);
    }

    @Test
    @Order(11)
    void unauthenticatedFlood_isLimitedPerAddress_beforeTheTokenCheck() {
        long start = System.nanoTime();
        List<Future<Rest>> calls = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
            calls.add(callers.submit(() -> edge.send("GET", "/v1/" + account, null, Map.of("authorization", ""))));
        }
        List<Integer> statuses = statuses(calls);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        long refused = statuses.stream().filter(s -> s == 429).count();
        long unauthenticated = statuses.stream().filter(s -> s == 401).count();
        System.out.printf("800 reads without a token in %d ms: %d x 401, %d x 429%n", elapsed.toMillis(),
                unauthenticated, refused);
        assertThat(unauthenticated + refused).as("only 401s and 429s").isEqualTo(800);
        assertThat(refused).as("the floor stops the flood before the token check").isPositive();
        assertThat(unauthenticated).isLessThanOrEqualTo(FLOOR_BURST + FLOOR_REFILL_PER_SECOND * (elapsed.toMillis() / 1000 + 1));
    }

    // --- helpers

    /** Claims for the account owner (edge.subject()), valid ten minutes unless changed. */
    private JWTClaimsSet.Builder ownersClaims() {
        return DevSigningKey.claims(TokenPolicy.DEVELOPMENT, edge.subject(), TokenPolicy.ALL_SCOPES, Duration.ofMinutes(10));
    }

    /** GetAccount of the test's account straight at the replica, with these headers. */
    private Status.Code directRead(Map<String, String> headers) {
        ManagedChannel direct = edge.directChannel(0);
        try {
            return grpcCode(() -> AccountServiceGrpc.newBlockingStub(direct).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .withInterceptors(edge.headers(headers))
                    .getAccount(GetAccountRequest.newBuilder().setName(account).build()));
        } finally {
            direct.shutdownNow();
        }
    }

    private static StatusRuntimeException catchGrpc(GrpcCall call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("the call was served");
    }

    private static JWTClaimsSet.Builder claims() {
        return DevSigningKey.claims(TokenPolicy.DEVELOPMENT, "identity-attacker", TokenPolicy.ALL_SCOPES,
                Duration.ofMinutes(10));
    }

    private static String bearer(String token) {
        return Edge.bearer(token);
    }

    /** The classic algorithm-confusion attack: HMAC keyed with the verifier's public key. */
    private static String hmacWithPublicKey(DevSigningKey key) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.key().getKeyID()).build(),
                    claims().build());
            jwt.sign(new MACSigner(key.key().toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same header and signature around a payload whose sub now names the victim's account owner. */
    private String tampered(String token) {
        String[] parts = token.split("\\.");
        String payload = new String(Base64URL.from(parts[1]).decode(), StandardCharsets.UTF_8)
                .replace("\"identity-victim\"", "\"" + edge.subject() + "\"");
        return parts[0] + "." + Base64URL.encode(payload.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    }

    private interface GrpcCall {
        void run();
    }

    private static Status.Code grpcCode(GrpcCall call) {
        try {
            call.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    private static List<Integer> statuses(List<Future<Rest>> calls) {
        List<Integer> statuses = new ArrayList<>();
        for (Future<Rest> call : calls) {
            try {
                statuses.add(call.get(30, TimeUnit.SECONDS).status());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return statuses;
    }

    private EnvoyProcess envoy() {
        return edge.stack().envoy();
    }
}
