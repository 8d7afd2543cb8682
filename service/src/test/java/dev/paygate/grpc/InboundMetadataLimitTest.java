package dev.paygate.grpc;

import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The service's inbound metadata limit is the one application.yml sets (32 KiB), not grpc-java's
 * 8 KiB default: the edge's bound on what it forwards (about 11 KiB at most) is reasoned against
 * this number, so it must be the number the server really runs with.
 */
class InboundMetadataLimitTest {

    private static final Metadata.Key<String> PAD = Metadata.Key.of("x-pad", Metadata.ASCII_STRING_MARSHALLER);

    private static RunningService service;
    private static Account account;

    @BeforeAll
    static void start() {
        service = RunningService.start(TestDatabase.postgres());
        account = service.accounts().createAccount(newAccount(100));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        service.close();
    }

    @Test
    void metadataOf24KiB_isServed() {
        Account read = withPad(24 * 1024).getAccount(GetAccountRequest.newBuilder().setName(account.getName()).build());

        assertThat(read.getName()).isEqualTo(account.getName());
    }

    @Test
    void metadataOverTheLimit_isRefused_andTheChannelKeepsServing() {
        StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () -> withPad(33 * 1024)
                .getAccount(GetAccountRequest.newBuilder().setName(account.getName()).build()));

        assertThat(refused).as("a call with 33 KiB of metadata").isNotNull();
        assertThat(service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account.getName()).build())
                .getName()).isEqualTo(account.getName());
    }

    /** The caller's stub with an {@code x-pad} metadata entry of {@code bytes} characters. */
    private static AccountServiceGrpc.AccountServiceBlockingStub withPad(int bytes) {
        Metadata metadata = new Metadata();
        metadata.put(PAD, "a".repeat(bytes));
        return AccountServiceGrpc.newBlockingStub(service.channel())
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(metadata))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
    }
}
