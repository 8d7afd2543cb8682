package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.capture;
import static dev.paygate.testing.Fixtures.eur;
import static dev.paygate.testing.Fixtures.newAccount;
import static dev.paygate.testing.Fixtures.voidOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.ErrorInfo;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A careless client repeats a capture or void without an idempotency key because it lost the
 * first answer (a timeout, a dropped connection). Where the repeat can only mean what already
 * happened it gets the authorization as it is, marked {@code idempotent-replayed}, and nothing
 * moves twice; where it could mean a second capture it is refused, and the refusal says what was
 * captured.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RepeatedSettlementTest {

    private static final Metadata.Key<String> REPLAYED = Metadata.Key.of("idempotent-replayed",
            Metadata.ASCII_STRING_MARSHALLER);

    private RunningService service;

    @BeforeAll
    void start() {
        service = RunningService.start(TestDatabase.postgres());
    }

    @AfterAll
    void stop() throws InterruptedException {
        service.close();
    }

    @Test
    void fullCapture_repeatedWithoutAKey_returnsTheCapturedAuthorization_andCapturesOnce() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        Authorization captured = service.authorizations().captureAuthorization(capture(approved.getName()));
        double capturesCounted = capturesCounted();
        AtomicReference<Metadata> headers = new AtomicReference<>();

        Authorization repeated = capturing(headers).captureAuthorization(capture(approved.getName()));

        assertThat(repeated).isEqualTo(captured);
        assertThat(headers.get().get(REPLAYED)).isEqualTo("true");
        assertThat(balances(account).getCaptured()).isEqualTo(eur(40));
        assertThat(balances(account).getHeld()).isEqualTo(eur(0));
        assertThat(capturesCounted()).as("the repeat is not counted as a capture").isEqualTo(capturesCounted);
    }

    @Test
    void fullCapture_repeatedWithTheWholeAmountSpelledOut_isTheSameRepeat() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        Authorization captured = service.authorizations().captureAuthorization(capture(approved.getName()));

        Authorization repeated = service.authorizations().captureAuthorization(withAmount(approved, 40));

        assertThat(repeated).isEqualTo(captured);
        assertThat(balances(account).getCaptured()).isEqualTo(eur(40));
    }

    @Test
    void void_repeatedWithoutAKey_returnsTheVoidedAuthorization_andReleasesOnce() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        Authorization voided = service.authorizations().voidAuthorization(voidOf(approved.getName()));
        AtomicReference<Metadata> headers = new AtomicReference<>();

        Authorization repeated = capturing(headers).voidAuthorization(voidOf(approved.getName()));

        assertThat(repeated).isEqualTo(voided);
        assertThat(headers.get().get(REPLAYED)).isEqualTo("true");
        assertThat(balances(account).getAvailable()).isEqualTo(eur(100));
        assertThat(balances(account).getHeld()).isEqualTo(eur(0));
    }

    /** After a partial capture of 30, "capture 30" again and "capture all" may each mean a second capture. */
    @ParameterizedTest(name = "capture {0} (0: all)")
    @ValueSource(longs = {30, 0})
    void anotherCapture_afterAPartialOne_isRefused_sayingWhatWasCaptured(long units) {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(withAmount(approved, 30));
        CaptureAuthorizationRequest again = units == 0 ? capture(approved.getName()) : withAmount(approved, units);

        StatusRuntimeException e = refused(() -> service.authorizations().captureAuthorization(again));

        assertCapturedRefusal(e, "30");
        assertThat(balances(account).getCaptured()).isEqualTo(eur(30));
        assertThat(balances(account).getAvailable()).isEqualTo(eur(70));
    }

    @Test
    void void_afterACapture_isRefused_sayingWhatWasCaptured() {
        String account = account();
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(capture(approved.getName()));

        StatusRuntimeException e = refused(() -> service.authorizations().voidAuthorization(voidOf(approved.getName())));

        assertCapturedRefusal(e, "40");
        assertThat(balances(account).getCaptured()).isEqualTo(eur(40));
    }

    private void assertCapturedRefusal(StatusRuntimeException e, String captured) {
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        ErrorInfo info = StatusDetails.errorInfo(e).orElseThrow();
        assertThat(info.getReason()).isEqualTo("AUTHORIZATION_NOT_APPROVED");
        assertThat(info.getMetadataMap()).containsEntry("state", "CAPTURED").containsEntry("captured_amount", captured)
                .containsEntry("currency_code", "EUR");
    }

    private static StatusRuntimeException refused(Runnable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("the call is refused").isNotNull();
        return e;
    }

    private AuthorizationServiceGrpc.AuthorizationServiceBlockingStub capturing(AtomicReference<Metadata> headers) {
        return AuthorizationServiceGrpc.newBlockingStub(service.channel())
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, new AtomicReference<>()))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static CaptureAuthorizationRequest withAmount(Authorization authorization, long units) {
        return capture(authorization.getName()).toBuilder().setAmount(eur(units)).build();
    }

    private String account() {
        return service.accounts().createAccount(newAccount(100)).getName();
    }

    private Account balances(String account) {
        return service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build());
    }

    private double capturesCounted() {
        var counter = service.meters().find("paygate.authorizations.captured").counter();
        return counter == null ? 0 : counter.count();
    }
}
