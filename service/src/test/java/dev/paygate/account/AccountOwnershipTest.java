package dev.paygate.account;

import static dev.paygate.testing.Fixtures.accountId;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.capture;
import static dev.paygate.testing.Fixtures.count;
import static dev.paygate.testing.Fixtures.newAccount;
import static dev.paygate.testing.Fixtures.voidOf;
import static dev.paygate.testing.StatusDetails.errorInfo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import dev.paygate.v1.GetAuthorizationRequest;
import dev.paygate.v1.ListAuthorizationsRequest;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Client A, with a perfectly valid token, attacks client B's account over a real gRPC channel:
 * every rpc on B's account or its authorizations is PERMISSION_DENIED / ACCOUNT_ACCESS_DENIED,
 * exactly as for an account that does not exist (AIP-211), and changes nothing of B's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccountOwnershipTest {

    private RunningService service;
    private Channel alice;
    private Channel bob;
    private String bobsAccount;
    private Authorization bobsHold;

    @BeforeAll
    void start() {
        service = RunningService.start(TestDatabase.postgres());
        alice = service.channelAs(TestTokens.token("alice", TestTokens.READ, TestTokens.WRITE));
        bob = service.channelAs(TestTokens.token("bob", TestTokens.READ, TestTokens.WRITE));
        bobsAccount = accounts(bob).createAccount(newAccount(100)).getName();
        bobsHold = authorizations(bob).createAuthorization(authorize(bobsAccount, 30));
    }

    @AfterAll
    void stop() throws InterruptedException {
        service.close();
    }

    /** Each rpc, aimed at an account by name (Bob's, or one that does not exist). */
    Stream<Arguments> attacks() {
        String missing = "accounts/" + UUID.randomUUID();
        return Stream.of("bob's", "missing").flatMap(target -> {
            boolean bobs = target.equals("bob's");
            return Stream.of(
                    Arguments.of(target + " GetAccount", (Consumer<Channel>) c -> accounts(c).getAccount(
                            GetAccountRequest.newBuilder().setName(bobs ? bobsAccount : missing).build())),
                    Arguments.of(target + " ListAuthorizations", (Consumer<Channel>) c -> authorizations(c)
                            .listAuthorizations(ListAuthorizationsRequest.newBuilder()
                                    .setParent(bobs ? bobsAccount : missing).build())),
                    Arguments.of(target + " CreateAuthorization", (Consumer<Channel>) c -> authorizations(c)
                            .createAuthorization(authorize(bobs ? bobsAccount : missing, 10))),
                    Arguments.of(target + " GetAuthorization", (Consumer<Channel>) c -> authorizations(c)
                            .getAuthorization(GetAuthorizationRequest.newBuilder()
                                    .setName(bobs ? bobsHold.getName() : missing + "/authorizations/" + UUID.randomUUID())
                                    .build())),
                    Arguments.of(target + " CaptureAuthorization", (Consumer<Channel>) c -> authorizations(c)
                            .captureAuthorization(capture(bobs ? bobsHold.getName()
                                    : missing + "/authorizations/" + UUID.randomUUID()))),
                    Arguments.of(target + " VoidAuthorization", (Consumer<Channel>) c -> authorizations(c)
                            .voidAuthorization(voidOf(bobs ? bobsHold.getName()
                                    : missing + "/authorizations/" + UUID.randomUUID()))));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void anotherClientsOrAMissingAccount_isPermissionDenied_andChangesNothing(String attack, Consumer<Channel> call) {
        Account bobsBefore = bobsAccount();
        Authorization holdBefore = bobsHoldNow();
        long rowsBefore = rows();

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> call.accept(alice));

        assertThat(e.getStatus().getCode()).as(attack).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(errorInfo(e).orElseThrow().getReason()).isEqualTo("ACCOUNT_ACCESS_DENIED");
        assertThat(bobsAccount()).isEqualTo(bobsBefore);
        assertThat(bobsHoldNow()).isEqualTo(holdBefore);
        assertThat(rows()).isEqualTo(rowsBefore);
    }

    @Test
    void deniedAnswers_forBobsAndForAMissingAccount_areTheSameApartFromTheName() {
        String missing = "accounts/" + UUID.randomUUID();

        StatusRuntimeException foreign = catchThrowableOfType(StatusRuntimeException.class,
                () -> accounts(alice).getAccount(GetAccountRequest.newBuilder().setName(bobsAccount).build()));
        StatusRuntimeException absent = catchThrowableOfType(StatusRuntimeException.class,
                () -> accounts(alice).getAccount(GetAccountRequest.newBuilder().setName(missing).build()));

        assertThat(foreign.getStatus().getDescription().replace(bobsAccount, "X"))
                .isEqualTo(absent.getStatus().getDescription().replace(missing, "X"));
        assertThat(errorInfo(foreign).orElseThrow().toBuilder().clearMetadata().build())
                .isEqualTo(errorInfo(absent).orElseThrow().toBuilder().clearMetadata().build());
    }

    @Test
    void identityHeaders_areIgnored() {
        Metadata spoofed = new Metadata();
        for (String header : List.of("x-client-id", "x-paygate-subject", "x-forwarded-user", "x-user-id")) {
            spoofed.put(Metadata.Key.of(header, Metadata.ASCII_STRING_MARSHALLER), "bob");
        }
        Channel aliceClaimingToBeBob = ClientInterceptors.intercept(alice, MetadataUtils.newAttachHeadersInterceptor(spoofed));

        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                () -> accounts(aliceClaimingToBeBob).getAccount(GetAccountRequest.newBuilder().setName(bobsAccount).build()));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    @Test
    void owner_readsAndChangesTheirOwnAccount() {
        Authorization hold = authorizations(bob).createAuthorization(authorize(bobsAccount, 5));

        assertThat(authorizations(bob).voidAuthorization(voidOf(hold.getName())).getState())
                .isEqualTo(Authorization.State.VOIDED);
        assertThat(accounts(bob).getAccount(GetAccountRequest.newBuilder().setName(bobsAccount).build()).getName())
                .isEqualTo(bobsAccount);
    }

    @Test
    void createAccount_sameKeyFromTwoOwners_createsTwoAccounts() {
        var request = newAccount(100).toBuilder().setRequestId(UUID.randomUUID().toString()).build();

        Account alices = accounts(alice).createAccount(request);
        Account bobs = accounts(bob).createAccount(request);

        assertThat(bobs.getName()).isNotEqualTo(alices.getName());
        assertThat(accounts(alice).createAccount(request)).isEqualTo(alices);
        assertThat(count(service.dataSource(), "SELECT COUNT(*) FROM accounts WHERE id IN (?, ?) AND owner <> ?",
                accountId(alices.getName()), accountId(bobs.getName()), "alice")).isEqualTo(1);
    }

    private Account bobsAccount() {
        return accounts(bob).getAccount(GetAccountRequest.newBuilder().setName(bobsAccount).build());
    }

    private Authorization bobsHoldNow() {
        return authorizations(bob).getAuthorization(GetAuthorizationRequest.newBuilder().setName(bobsHold.getName()).build());
    }

    private long rows() {
        return count(service.dataSource(), "SELECT (SELECT COUNT(*) FROM accounts) + (SELECT COUNT(*) FROM authorizations)"
                + " + (SELECT COUNT(*) FROM idempotency_keys)");
    }

    private static AccountServiceGrpc.AccountServiceBlockingStub accounts(Channel channel) {
        return AccountServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    }

    private static AuthorizationServiceGrpc.AuthorizationServiceBlockingStub authorizations(Channel channel) {
        return AuthorizationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    }
}
