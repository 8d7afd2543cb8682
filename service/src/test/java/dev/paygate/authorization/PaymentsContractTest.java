package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.capture;
import static dev.paygate.testing.Fixtures.count;
import static dev.paygate.testing.Fixtures.eur;
import static dev.paygate.testing.Fixtures.newAccount;
import static dev.paygate.testing.Fixtures.voidOf;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.type.Money;
import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Account;
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
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The payments contract over a real gRPC channel on a real PostgreSQL: money and limits, capture
 * and void, errors, idempotency and concurrency.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PaymentsContractTest {

    private RunningService service;

    @BeforeAll
    void start() {
        // 60 calls at once on one account queue for its row lock holding pooled connections; on a
        // loaded machine the last waited past the pool's 1 s (DATABASE_SATURATED, WaitBoundsTest's subject).
        service = RunningService.start(TestDatabase.postgres(), Map.of("datasources.default.connection-timeout", 5000));
    }

    @AfterAll
    void stop() throws InterruptedException {
        service.close();
    }

    // --- accounts

    @Test
    void createAccount_thenGet_returnsBalancesOfANewAccount() {
        Account created = service.accounts().createAccount(newAccount(100));
        Account fetched = service.accounts().getAccount(GetAccountRequest.newBuilder().setName(created.getName()).build());

        assertThat(fetched).isEqualTo(created);
        assertThat(fetched.getName()).matches("accounts/[0-9a-f-]{36}");
        assertThat(fetched.getState()).isEqualTo(Account.State.OPEN);
        assertThat(fetched.getAvailable()).isEqualTo(eur(100));
        assertThat(fetched.getHeld().getUnits()).isZero();
        assertThat(fetched.getCaptured().getUnits()).isZero();
    }

    @Test
    void getAccount_unknown_isPermissionDeniedWithErrorInfo() {
        StatusRuntimeException e = catchStatus(() -> service.accounts().getAccount(GetAccountRequest.newBuilder()
                .setName("accounts/" + UUID.randomUUID()).build()));

        // AIP-211: a missing account looks exactly like someone else's.
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(errorInfo(e).getReason()).isEqualTo("ACCOUNT_ACCESS_DENIED");
        assertThat(errorInfo(e).getDomain()).isEqualTo("paygate.dev");
    }

    @Test
    void createAccount_badInput_isInvalidArgumentWithFieldViolationsAndCreatesNothing() {
        long before = count(service.dataSource(), "SELECT COUNT(*) FROM accounts");
        CreateAccountRequest bad = CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("euro").setCreditLimit(eur(-5)))
                .setRequestId("not-a-uuid")
                .build();

        StatusRuntimeException e = catchStatus(() -> service.accounts().createAccount(bad));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(errorInfo(e).getReason()).isEqualTo("INVALID_ARGUMENT");
        assertThat(badRequest(e).getFieldViolationsList()).extracting(BadRequest.FieldViolation::getField)
                .contains("account.currency_code", "account.credit_limit", "request_id");
        assertThat(count(service.dataSource(), "SELECT COUNT(*) FROM accounts")).isEqualTo(before);
    }

    @Test
    void createAccount_limitInAnotherCurrency_isInvalidArgument() {
        CreateAccountRequest request = CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("EUR")
                        .setCreditLimit(eur(10).toBuilder().setCurrencyCode("USD")))
                .build();

        StatusRuntimeException e = catchStatus(() -> service.accounts().createAccount(request));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(badRequest(e).getFieldViolations(0).getField()).isEqualTo("account.credit_limit.currency_code");
    }

    // --- authorizations: money and limits

    @Test
    void authorize_withinLimit_approvesAndHoldsTheAmount() {
        String account = account(100);

        Authorization approved = service.authorizations().createAuthorization(authorize(account, 30));

        assertThat(approved.getState()).isEqualTo(State.APPROVED);
        assertThat(approved.getDeclineReason()).isEqualTo(DeclineReason.DECLINE_REASON_UNSPECIFIED);
        assertThat(approved.getName()).startsWith(account + "/authorizations/");
        assertThat(approved.getExpireTime().getSeconds()).isGreaterThan(approved.getCreateTime().getSeconds());
        Account after = get(account);
        assertThat(after.getHeld()).isEqualTo(eur(30));
        assertThat(after.getAvailable()).isEqualTo(eur(70));
    }

    @Test
    void authorize_overLimit_declinesWithInsufficientFundsAndHoldsNothing() {
        String account = account(100);
        service.authorizations().createAuthorization(authorize(account, 80));

        Authorization declined = service.authorizations().createAuthorization(authorize(account, 21));

        assertThat(declined.getState()).isEqualTo(State.DECLINED);
        assertThat(declined.getDeclineReason()).isEqualTo(DeclineReason.INSUFFICIENT_FUNDS);
        assertThat(get(account).getHeld()).isEqualTo(eur(80));
    }

    @Test
    void authorize_exactlyTheAvailableAmount_approves() {
        String account = account(100);

        assertThat(service.authorizations().createAuthorization(authorize(account, 100)).getState())
                .isEqualTo(State.APPROVED);
        assertThat(get(account).getAvailable().getUnits()).isZero();
    }

    @Test
    void authorize_otherCurrency_declinesWithCurrencyMismatch() {
        String account = account(100);
        CreateAuthorizationRequest usd = authorize(account, 10).toBuilder()
                .setAuthorization(authorize(account, 10).getAuthorization().toBuilder()
                        .setAmount(eur(10).toBuilder().setCurrencyCode("USD")))
                .build();

        Authorization declined = service.authorizations().createAuthorization(usd);

        assertThat(declined.getDeclineReason()).isEqualTo(DeclineReason.CURRENCY_MISMATCH);
        assertThat(get(account).getHeld().getUnits()).isZero();
    }

    @Test
    void authorize_closedAccount_declinesWithAccountClosed() throws Exception {
        String account = account(100);
        try (var connection = service.dataSource().getConnection();
             var statement = connection.prepareStatement("UPDATE accounts SET state = 'CLOSED' WHERE id = ?")) {
            statement.setString(1, Fixtures.accountId(account));
            statement.executeUpdate();
        }

        Authorization declined = service.authorizations().createAuthorization(authorize(account, 10));

        assertThat(declined.getDeclineReason()).isEqualTo(DeclineReason.ACCOUNT_CLOSED);
    }

    @Test
    void authorize_unknownAccount_isPermissionDenied() {
        StatusRuntimeException e = catchStatus(() -> service.authorizations()
                .createAuthorization(authorize("accounts/" + UUID.randomUUID(), 10)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    // --- money

    @Test
    void createAccount_codeThatIsNoIsoCurrency_isInvalidArgumentAndCreatesNothing() {
        long accountsBefore = count(service.dataSource(), "SELECT COUNT(*) FROM accounts");

        for (String code : List.of("ABC", "XXX", "XAU")) {
            CreateAccountRequest request = CreateAccountRequest.newBuilder().setAccount(Account.newBuilder()
                    .setCurrencyCode(code)
                    .setCreditLimit(Money.newBuilder().setCurrencyCode(code).setUnits(100))).build();

            StatusRuntimeException e = catchStatus(() -> service.accounts().createAccount(request));

            assertThat(e.getStatus().getCode()).as(code).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(badRequest(e).getFieldViolations(0).getField()).isEqualTo("account.currency_code");
        }
        assertThat(count(service.dataSource(), "SELECT COUNT(*) FROM accounts")).isEqualTo(accountsBefore);
    }

    @Test
    void authorize_amountFinerThanTheCurrencysMinorUnit_isInvalidArgumentAndChangesNothing() {
        String euros = account(100);
        String yen = service.accounts().createAccount(CreateAccountRequest.newBuilder().setAccount(Account.newBuilder()
                .setCurrencyCode("JPY")
                .setCreditLimit(Money.newBuilder().setCurrencyCode("JPY").setUnits(10_000))).build()).getName();

        StatusRuntimeException nanoEuro = catchStatus(() -> service.authorizations().createAuthorization(
                authorize(euros, 0).toBuilder().setAuthorization(authorize(euros, 0).getAuthorization().toBuilder()
                        .setAmount(Money.newBuilder().setCurrencyCode("EUR").setUnits(1).setNanos(1))).build()));
        StatusRuntimeException halfYen = catchStatus(() -> service.authorizations().createAuthorization(
                authorize(yen, 0).toBuilder().setAuthorization(authorize(yen, 0).getAuthorization().toBuilder()
                        .setAmount(Money.newBuilder().setCurrencyCode("JPY").setUnits(10).setNanos(500_000_000))).build()));

        for (StatusRuntimeException e : List.of(nanoEuro, halfYen)) {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(badRequest(e).getFieldViolations(0).getField()).isEqualTo("authorization.amount");
        }
        assertThat(authorizationsOf(euros) + authorizationsOf(yen)).isZero();
        assertThat(get(euros).getHeld().getNanos()).isZero();
    }

    @Test
    void authorize_oneCent_holdsExactlyOneCent() {
        String account = account(100);

        Authorization cent = service.authorizations().createAuthorization(
                authorize(account, 0).toBuilder().setAuthorization(authorize(account, 0).getAuthorization().toBuilder()
                        .setAmount(Money.newBuilder().setCurrencyCode("EUR").setNanos(10_000_000))).build());

        assertThat(cent.getState()).isEqualTo(State.APPROVED);
        assertThat(get(account).getHeld()).isEqualTo(Money.newBuilder().setCurrencyCode("EUR").setNanos(10_000_000).build());
        assertThat(get(account).getAvailable()).isEqualTo(
                Money.newBuilder().setCurrencyCode("EUR").setUnits(99).setNanos(990_000_000).build());
    }

    @Test
    void createAccount_displayNameOfTheLongestAllowedEmoji_isStoredAndReadBack() {
        String emoji = "\uD83D\uDCB3".repeat(200);
        CreateAccountRequest request = newAccount(100).toBuilder()
                .setAccount(newAccount(100).getAccount().toBuilder().setDisplayName(emoji)).build();

        Account created = service.accounts().createAccount(request);

        assertThat(get(created.getName()).getDisplayName()).isEqualTo(emoji);
    }

    @Test
    void createAccount_displayNameOf201Emoji_isInvalidArgument() {
        CreateAccountRequest request = newAccount(100).toBuilder().setAccount(newAccount(100).getAccount().toBuilder()
                .setDisplayName("\uD83D\uDCB3".repeat(201))).build();

        StatusRuntimeException e = catchStatus(() -> service.accounts().createAccount(request));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(badRequest(e).getFieldViolations(0).getField()).isEqualTo("account.display_name");
    }

    @Test
    void authorize_badInput_isInvalidArgumentAndChangesNothing() {
        String account = account(100);
        CreateAuthorizationRequest bad = CreateAuthorizationRequest.newBuilder()
                .setParent(account)
                .setAuthorization(Authorization.newBuilder()
                        .setAmount(eur(0))
                        .setMerchantId("")
                        .setMerchantCategoryCode("54x1"))
                .build();

        StatusRuntimeException e = catchStatus(() -> service.authorizations().createAuthorization(bad));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(badRequest(e).getFieldViolationsList()).extracting(BadRequest.FieldViolation::getField)
                .containsOnly("authorization.amount", "authorization.merchant_id",
                        "authorization.merchant_category_code");
        assertThat(count(service.dataSource(), "SELECT COUNT(*) FROM authorizations WHERE account_id = ?",
                Fixtures.accountId(account))).isZero();
    }

    // --- capture and void

    @Test
    void capture_approved_movesTheAmountFromHeldToCaptured() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        Authorization captured = service.authorizations().captureAuthorization(capture(approved.getName()));

        assertThat(captured.getState()).isEqualTo(State.CAPTURED);
        assertThat(captured.getCapturedAmount()).isEqualTo(eur(40));
        Account after = get(account);
        assertThat(after.getHeld().getUnits()).isZero();
        assertThat(after.getCaptured()).isEqualTo(eur(40));
        assertThat(after.getAvailable()).isEqualTo(eur(60));
    }

    @Test
    void capture_partialAmount_releasesTheRestOfTheHold() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        Authorization captured = service.authorizations().captureAuthorization(
                capture(approved.getName()).toBuilder().setAmount(eur(25)).build());

        assertThat(captured.getCapturedAmount()).isEqualTo(eur(25));
        Account after = get(account);
        assertThat(after.getHeld().getUnits()).isZero();
        assertThat(after.getCaptured()).isEqualTo(eur(25));
        assertThat(after.getAvailable()).isEqualTo(eur(75));
    }

    @Test
    void capture_moreThanAuthorized_isInvalidArgumentAndChangesNothing() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        StatusRuntimeException e = catchStatus(() -> service.authorizations().captureAuthorization(
                capture(approved.getName()).toBuilder().setAmount(eur(41)).build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(badRequest(e).getFieldViolations(0).getField()).isEqualTo("amount");
        assertThat(getAuthorization(approved.getName()).getState()).isEqualTo(State.APPROVED);
        assertThat(get(account).getHeld()).isEqualTo(eur(40));
    }

    @Test
    void void_approved_releasesTheHold() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));

        Authorization voided = service.authorizations().voidAuthorization(voidOf(approved.getName()));

        assertThat(voided.getState()).isEqualTo(State.VOIDED);
        assertThat(get(account).getAvailable()).isEqualTo(eur(100));
        assertThat(get(account).getHeld().getUnits()).isZero();
    }

    @Test
    void captureAfterVoid_failsWithFailedPreconditionAndChangesNothing() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().voidAuthorization(voidOf(approved.getName()));

        StatusRuntimeException e = catchStatus(() ->
                service.authorizations().captureAuthorization(capture(approved.getName())));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(getAuthorization(approved.getName()).getState()).isEqualTo(State.VOIDED);
        assertThat(get(account).getCaptured().getUnits()).isZero();
        assertThat(get(account).getAvailable()).isEqualTo(eur(100));
    }

    @Test
    void voidAfterCapture_failsWithFailedPreconditionAndChangesNothing() {
        String account = account(100);
        Authorization approved = service.authorizations().createAuthorization(authorize(account, 40));
        service.authorizations().captureAuthorization(capture(approved.getName()));

        StatusRuntimeException e = catchStatus(() ->
                service.authorizations().voidAuthorization(voidOf(approved.getName())));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(getAuthorization(approved.getName()).getState()).isEqualTo(State.CAPTURED);
        assertThat(get(account).getCaptured()).isEqualTo(eur(40));
        assertThat(get(account).getHeld().getUnits()).isZero();
    }

    @Test
    void captureOrVoid_ofADecline_failsWithFailedPrecondition() {
        String account = account(10);
        Authorization declined = service.authorizations().createAuthorization(authorize(account, 20));

        assertThat(catchStatus(() -> service.authorizations().captureAuthorization(capture(declined.getName())))
                .getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(catchStatus(() -> service.authorizations().voidAuthorization(voidOf(declined.getName())))
                .getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void getAuthorization_unknown_isNotFound() {
        String account = account(10);

        StatusRuntimeException e = catchStatus(() -> getAuthorization(account + "/authorizations/" + UUID.randomUUID()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(errorInfo(e).getReason()).isEqualTo("AUTHORIZATION_NOT_FOUND");
    }

    // --- list

    @Test
    void list_pagesNewestFirstWithoutGapsOrRepeats_andFiltersByState() {
        String account = account(1000);
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            created.add(service.authorizations().createAuthorization(authorize(account, 10)).getName());
        }
        service.authorizations().voidAuthorization(voidOf(created.get(2)));

        List<String> listed = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            ListAuthorizationsResponse page = service.authorizations().listAuthorizations(
                    ListAuthorizationsRequest.newBuilder().setParent(account).setPageSize(3).setPageToken(token).build());
            assertThat(page.getAuthorizationsCount()).isLessThanOrEqualTo(3);
            page.getAuthorizationsList().forEach(a -> listed.add(a.getName()));
            token = page.getNextPageToken();
            pages++;
        } while (!token.isEmpty());

        assertThat(pages).isEqualTo(3);
        List<String> newestFirst = new ArrayList<>(created);
        Collections.reverse(newestFirst);
        assertThat(listed).containsExactlyElementsOf(newestFirst);
        ListAuthorizationsResponse voided = service.authorizations().listAuthorizations(
                ListAuthorizationsRequest.newBuilder().setParent(account).setState(State.VOIDED).build());
        assertThat(voided.getAuthorizationsList()).extracting(Authorization::getName).containsExactly(created.get(2));
    }

    @Test
    void list_badPageTokenOrSize_isInvalidArgument() {
        String account = account(10);

        assertThat(catchStatus(() -> service.authorizations().listAuthorizations(ListAuthorizationsRequest.newBuilder()
                .setParent(account).setPageToken("garbage").build())).getStatus().getCode())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(catchStatus(() -> service.authorizations().listAuthorizations(ListAuthorizationsRequest.newBuilder()
                .setParent(account).setPageSize(101).build())).getStatus().getCode())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void list_forgedTamperedOrForeignPageToken_isInvalidArgument() {
        String account = account(100);
        String other = account(100);
        for (int i = 0; i < 3; i++) {
            service.authorizations().createAuthorization(authorize(account, 1));
        }
        String token = service.authorizations().listAuthorizations(ListAuthorizationsRequest.newBuilder()
                .setParent(account).setPageSize(1).build()).getNextPageToken();
        byte[] raw = Base64.getUrlDecoder().decode(token);
        raw[3] ^= 1;
        String tampered = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        String extremeDate = Base64.getUrlEncoder().withoutPadding().encodeToString(
                "v1||+1000000000-12-31T23:59:59Z|x".getBytes(StandardCharsets.UTF_8));

        Map<String, ListAuthorizationsRequest> attempts = Map.of(
                "tampered", ListAuthorizationsRequest.newBuilder().setParent(account).setPageToken(tampered).build(),
                "forged with an extreme date", ListAuthorizationsRequest.newBuilder().setParent(account)
                        .setPageToken(extremeDate).build(),
                "another parent", ListAuthorizationsRequest.newBuilder().setParent(other).setPageToken(token).build(),
                "another filter", ListAuthorizationsRequest.newBuilder().setParent(account).setPageToken(token)
                        .setState(State.APPROVED).build());
        attempts.forEach((attempt, request) -> {
            StatusRuntimeException e = catchStatus(() -> service.authorizations().listAuthorizations(request));
            assertThat(e.getStatus().getCode()).as(attempt).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(badRequest(e).getFieldViolations(0).getField()).isEqualTo("page_token");
        });
        assertThat(service.authorizations().listAuthorizations(ListAuthorizationsRequest.newBuilder()
                .setParent(account).setPageSize(1).setPageToken(token).build()).getAuthorizationsCount()).isEqualTo(1);
    }

    // --- idempotency
    // --- idempotency

    @Test
    void createAuthorization_sameKeySameRequest_returnsTheOriginalAndHoldsOnce() {
        String account = account(100);
        CreateAuthorizationRequest request = authorize(account, 30).toBuilder()
                .setRequestId(UUID.randomUUID().toString()).build();

        Authorization first = service.authorizations().createAuthorization(request);
        Authorization again = service.authorizations().createAuthorization(request);

        assertThat(again).isEqualTo(first);
        assertThat(get(account).getHeld()).isEqualTo(eur(30));
        assertThat(authorizationsOf(account)).isEqualTo(1);
    }

    @Test
    void replay_saysSoInItsHeaders_andIsNotCountedAgain() {
        String account = account(100);
        CreateAuthorizationRequest request = authorize(account, 30).toBuilder()
                .setRequestId(UUID.randomUUID().toString()).build();
        double approvedBefore = approvedCount();

        AtomicReference<Metadata> firstHeaders = new AtomicReference<>();
        AtomicReference<Metadata> againHeaders = new AtomicReference<>();
        service.authorizations().withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(firstHeaders,
                new AtomicReference<>())).createAuthorization(request);
        service.authorizations().withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(againHeaders,
                new AtomicReference<>())).createAuthorization(request);

        Metadata.Key<String> replayed = Metadata.Key.of("idempotent-replayed", Metadata.ASCII_STRING_MARSHALLER);
        assertThat(firstHeaders.get().get(replayed)).isNull();
        assertThat(againHeaders.get().get(replayed)).isEqualTo("true");
        assertThat(approvedCount() - approvedBefore).isEqualTo(1.0);
    }

    private double approvedCount() {
        var counter = service.meters().find("paygate.authorizations").tags("state", "APPROVED").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void createAuthorization_sameKeyDifferentRequest_isAlreadyExistsAndChangesNothing() {
        String account = account(100);
        String key = UUID.randomUUID().toString();
        service.authorizations().createAuthorization(authorize(account, 30).toBuilder().setRequestId(key).build());

        StatusRuntimeException e = catchStatus(() -> service.authorizations().createAuthorization(
                authorize(account, 31).toBuilder().setRequestId(key).build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(errorInfo(e).getReason()).isEqualTo("IDEMPOTENCY_KEY_REUSED");
        assertThat(get(account).getHeld()).isEqualTo(eur(30));
        assertThat(authorizationsOf(account)).isEqualTo(1);
    }

    @Test
    void createAuthorization_emptyBlankOrOverlongKeyInMetadata_isInvalidArgumentAndChangesNothing() {
        String account = account(100);

        for (String key : List.of("", " ", "   ", "k".repeat(256))) {
            StatusRuntimeException e = catchStatus(() -> withIdempotencyKey(key).createAuthorization(authorize(account, 30)));

            assertThat(e.getStatus().getCode()).as("key '%s'", key).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(badRequest(e).getFieldViolations(0).getField()).isEqualTo("idempotency-key");
        }
        assertThat(authorizationsOf(account)).isZero();
        assertThat(get(account).getHeld().getUnits()).isZero();
    }

    @Test
    void createAuthorization_keyInMetadata_isIdempotentLikeRequestId() {
        String account = account(100);
        String key = "order-" + UUID.randomUUID();
        AuthorizationServiceGrpc.AuthorizationServiceBlockingStub keyed = withIdempotencyKey(key);

        Authorization first = keyed.createAuthorization(authorize(account, 30));
        Authorization again = keyed.createAuthorization(authorize(account, 30));

        assertThat(again).isEqualTo(first);
        assertThat(authorizationsOf(account)).isEqualTo(1);
    }

    @Test
    void createAuthorization_requestIdAndMetadataKeyDiffer_isInvalidArgumentAndChangesNothing() {
        String account = account(100);

        StatusRuntimeException e = catchStatus(() -> withIdempotencyKey(UUID.randomUUID().toString())
                .createAuthorization(authorize(account, 30).toBuilder().setRequestId(UUID.randomUUID().toString()).build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(badRequest(e).getFieldViolations(0).getField()).isEqualTo("request_id");
        assertThat(authorizationsOf(account)).isZero();
    }

    @Test
    void keys_areScopedPerAccount() {
        String key = UUID.randomUUID().toString();
        String first = account(100);
        String second = account(100);

        service.authorizations().createAuthorization(authorize(first, 30).toBuilder().setRequestId(key).build());
        Authorization other = service.authorizations().createAuthorization(
                authorize(second, 30).toBuilder().setRequestId(key).build());

        assertThat(other.getName()).startsWith(second);
        assertThat(get(second).getHeld()).isEqualTo(eur(30));
    }

    @Test
    void captureAndVoid_retriedWithTheirKey_returnTheOriginalResponse() {
        String account = account(100);
        Authorization a = service.authorizations().createAuthorization(authorize(account, 40));
        Authorization b = service.authorizations().createAuthorization(authorize(account, 10));
        CaptureAuthorizationRequest capture = capture(a.getName()).toBuilder().setRequestId(UUID.randomUUID().toString()).build();
        VoidAuthorizationRequest voidB = voidOf(b.getName()).toBuilder().setRequestId(UUID.randomUUID().toString()).build();

        Authorization captured = service.authorizations().captureAuthorization(capture);
        Authorization voided = service.authorizations().voidAuthorization(voidB);

        assertThat(service.authorizations().captureAuthorization(capture)).isEqualTo(captured);
        assertThat(service.authorizations().voidAuthorization(voidB)).isEqualTo(voided);
        assertThat(get(account).getCaptured()).isEqualTo(eur(40));
        assertThat(get(account).getHeld().getUnits()).isZero();
    }

    @Test
    void createAccount_sameKey_returnsTheSameAccount() {
        CreateAccountRequest request = newAccount(100).toBuilder().setRequestId(UUID.randomUUID().toString()).build();

        Account first = service.accounts().createAccount(request);
        Account again = service.accounts().createAccount(request);

        assertThat(again).isEqualTo(first);
    }

    // --- concurrency

    @Test
    void concurrentAuthorizations_neverOverCommitTheLimit() throws Exception {
        int fits = 20;
        int attempts = 60;
        String account = account(fits * 5L);
        List<Callable<Authorization>> calls = new ArrayList<>();
        for (int i = 0; i < attempts; i++) {
            calls.add(() -> service.authorizations().createAuthorization(authorize(account, 5)));
        }

        List<Authorization> results = runTogether(calls);

        assertThat(results).filteredOn(a -> a.getState() == State.APPROVED).hasSize(fits);
        assertThat(results).filteredOn(a -> a.getState() == State.DECLINED)
                .hasSize(attempts - fits)
                .allMatch(a -> a.getDeclineReason() == DeclineReason.INSUFFICIENT_FUNDS);
        Account after = get(account);
        assertThat(after.getHeld()).isEqualTo(eur(fits * 5L));
        assertThat(after.getAvailable().getUnits()).isZero();
        assertThat(count(service.dataSource(),
                "SELECT COUNT(*) FROM authorizations WHERE account_id = ? AND state = 'APPROVED'",
                Fixtures.accountId(account))).isEqualTo(fits);
    }

    @Test
    void authorize_whileAnotherTransactionInsertsAnAuthorizationOfTheAccount_approvesWithinItsDeadline()
            throws Exception {
        String account = account(100);

        // The insert's foreign key check holds FOR KEY SHARE on the account row until it ends.
        try (RowLock foreignKeyShare = RowLock.referenceAccount(service.dataSource().getConnection(),
                Fixtures.accountId(account))) {
            Authorization approved = service.authorizations().withDeadlineAfter(2, TimeUnit.SECONDS)
                    .createAuthorization(authorize(account, 10));

            assertThat(approved.getState()).isEqualTo(State.APPROVED);
            assertThat(foreignKeyShare.waiters()).isZero();
        }
        assertThat(get(account).getHeld()).isEqualTo(eur(10));
    }

    @Test
    void concurrentDuplicates_withOneKey_createExactlyOneAuthorization() throws Exception {
        String account = account(1000);
        CreateAuthorizationRequest request = authorize(account, 10).toBuilder()
                .setRequestId(UUID.randomUUID().toString()).build();
        List<Callable<Authorization>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(() -> service.authorizations().createAuthorization(request));
        }

        List<Authorization> results = runTogether(calls);

        Set<String> names = new HashSet<>();
        results.forEach(a -> names.add(a.getName()));
        assertThat(names).hasSize(1);
        assertThat(authorizationsOf(account)).isEqualTo(1);
        assertThat(get(account).getHeld()).isEqualTo(eur(10));
    }

    @Test
    void concurrentDuplicateCreateAccount_withOneKey_createsOneAccount() throws Exception {
        CreateAccountRequest request = newAccount(100).toBuilder().setRequestId(UUID.randomUUID().toString()).build();
        List<Callable<Account>> calls = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            calls.add(() -> service.accounts().createAccount(request));
        }

        List<Account> results = runTogether(calls);

        assertThat(results).extracting(Account::getName).containsOnly(results.get(0).getName());
    }

    // --- helpers

    private String account(long limitUnits) {
        return service.accounts().createAccount(newAccount(limitUnits)).getName();
    }

    private Account get(String name) {
        return service.accounts().getAccount(GetAccountRequest.newBuilder().setName(name).build());
    }

    private Authorization getAuthorization(String name) {
        return service.authorizations().getAuthorization(GetAuthorizationRequest.newBuilder().setName(name).build());
    }

    @Test
    void keyedCreate_keyExpiredButNotYetPurged_isProcessedAnewAndRememberedAgain() throws Exception {
        String account = service.accounts().createAccount(newAccount(100)).getName();
        String key = "expired-" + java.util.UUID.randomUUID();
        java.time.OffsetDateTime now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC);
        // Left by another request past its retention; the purge has not reached it yet.
        try (java.sql.Connection connection = service.dataSource().getConnection();
             java.sql.PreparedStatement insert = connection.prepareStatement("INSERT INTO idempotency_keys"
                     + " (scope, idem_key, method, request_hash, response, create_time, expire_time)"
                     + " VALUES (?, ?, 'CreateAuthorization', ?, '', ?, ?)")) {
            insert.setString(1, Fixtures.accountId(account));
            insert.setString(2, key);
            insert.setString(3, "0".repeat(64));
            insert.setObject(4, now.minusDays(3));
            insert.setObject(5, now.minusMinutes(1));
            insert.executeUpdate();
        }

        Authorization first = withIdempotencyKey(key).createAuthorization(authorize(account, 10));
        Authorization retry = withIdempotencyKey(key).createAuthorization(authorize(account, 10));

        assertThat(first.getState()).isEqualTo(State.APPROVED);
        assertThat(retry).isEqualTo(first);
        assertThat(authorizationsOf(account)).isEqualTo(1);
        assertThat(count(service.dataSource(), "SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = ?", key))
                .isEqualTo(1);
    }

    private long authorizationsOf(String account) {
        return count(service.dataSource(), "SELECT COUNT(*) FROM authorizations WHERE account_id = ?",
                Fixtures.accountId(account));
    }

    private AuthorizationServiceGrpc.AuthorizationServiceBlockingStub withIdempotencyKey(String key) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("idempotency-key", Metadata.ASCII_STRING_MARSHALLER), key);
        return service.authorizations().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Starts every call at the same moment, to make them really contend. */
    private static <T> List<T> runTogether(List<Callable<T>> calls) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> call : calls) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return call.call();
                }));
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    static StatusRuntimeException catchStatus(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e;
        }
        throw new AssertionError("expected the call to fail");
    }

    static ErrorInfo errorInfo(StatusRuntimeException e) {
        return detail(e, ErrorInfo.class);
    }

    static BadRequest badRequest(StatusRuntimeException e) {
        return detail(e, BadRequest.class);
    }

    private static <T extends com.google.protobuf.Message> T detail(StatusRuntimeException e, Class<T> type) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        assertThat(status).as("status with details").isNotNull();
        return status.getDetailsList().stream().filter(any -> any.is(type)).findFirst().map(any -> {
            try {
                return any.unpack(type);
            } catch (InvalidProtocolBufferException ex) {
                throw new AssertionError(ex);
            }
        }).orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " in " + status));
    }
}
