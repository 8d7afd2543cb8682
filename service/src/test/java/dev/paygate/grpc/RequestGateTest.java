package dev.paygate.grpc;

import static dev.paygate.testing.Fixtures.count;
import static dev.paygate.testing.Fixtures.newAccount;
import static dev.paygate.testing.StatusDetails.errorInfo;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.paygate.testing.RawCalls;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.AccountServiceProto;
import dev.paygate.v1.AuthorizationServiceProto;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micronaut.grpc.server.GrpcEmbeddedServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * A careless or hostile client writing gRPC frames by hand, over a real channel: bytes that are
 * not a request message, or not exactly one of them, get INVALID_ARGUMENT with an ErrorInfo
 * (MALFORMED_REQUEST), change nothing, and cost one log line without a stack trace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestGateTest {

    private static final String CREATE_ACCOUNT = "paygate.v1.AccountService/CreateAccount";
    private static final byte[] VALID = newAccount(100).toByteArray();

    private RunningService service;
    private final ListAppender<ILoggingEvent> serviceLog = new ListAppender<>();
    private final List<LogRecord> grpcLog = new ArrayList<>();
    private final java.util.logging.Logger grpcLogger = java.util.logging.Logger.getLogger("io.grpc");
    private final Handler grpcHandler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            grpcLog.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    void start() {
        service = RunningService.start(TestDatabase.postgres());
    }

    @AfterAll
    void stop() throws InterruptedException {
        service.close();
    }

    @BeforeEach
    void captureLogs() {
        serviceLog.list.clear();
        grpcLog.clear();
        serviceLog.start();
        root().addAppender(serviceLog);
        grpcLogger.addHandler(grpcHandler);
    }

    @AfterEach
    void releaseLogs() {
        root().detachAppender(serviceLog);
        grpcLogger.removeHandler(grpcHandler);
    }

    Stream<Arguments> malformedRequests() {
        return Stream.of(
                Arguments.of("garbage", List.of(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f})),
                Arguments.of("a truncated field", List.of(Arrays.copyOf(VALID, VALID.length - 1))),
                // account (field 1) holding currency_code (field 2) = 0xC3 0x28, which is not UTF-8
                Arguments.of("invalid UTF-8 in a string field", List.of(new byte[] {0x0a, 0x04, 0x12, 0x02, (byte) 0xc3, 0x28})),
                Arguments.of("two request messages in a unary call", List.of(VALID, VALID)),
                Arguments.of("no request message at all", List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedRequests")
    void malformedRequest_isInvalidArgument_changesNothing_andIsLoggedOnceWithoutAStackTrace(String attack,
                                                                                          List<byte[]> messages) {
        long accountsBefore = accounts();

        StatusRuntimeException e = RawCalls.call(service.channel(), CREATE_ACCOUNT, messages);

        assertThat(e).as("%s: refused", attack).isNotNull();
        assertThat(e.getStatus().getCode()).as("%s: %s", attack, e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(errorInfo(e)).as("ErrorInfo").hasValueSatisfying(info -> {
            assertThat(info.getReason()).isEqualTo("MALFORMED_REQUEST");
            assertThat(info.getDomain()).isEqualTo("paygate.dev");
        });
        assertThat(accounts()).as("nothing created").isEqualTo(accountsBefore);
        assertThat(grpcLog).as("grpc-java logged nothing (no stack trace)").isEmpty();
        assertThat(serviceLog.list).as("the service's log lines").singleElement().satisfies(line -> {
            assertThat(line.getLevel()).isEqualTo(Level.INFO);
            assertThat(line.getThrowableProxy()).as("no stack trace").isNull();
            assertThat(line.getFormattedMessage()).contains("MALFORMED_REQUEST");
        });
    }

    @Test
    void everyApiMethod_refusesBytesThatAreNotItsRequest() {
        List<String> methods = new ArrayList<>();
        for (ServerServiceDefinition definition : service.bean(GrpcEmbeddedServer.class).getServer().getServices()) {
            if (!definition.getServiceDescriptor().getName().startsWith("paygate.")) {
                continue;
            }
            for (ServerMethodDefinition<?, ?> method : definition.getMethods()) {
                String name = method.getMethodDescriptor().getFullMethodName();
                methods.add(name);
                StatusRuntimeException e = RawCalls.call(service.channel(), name, List.of(new byte[] {(byte) 0xff}));

                assertThat(e).as(name).isNotNull();
                assertThat(e.getStatus().getCode()).as("%s: %s", name, e.getStatus()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(errorInfo(e).orElseThrow().getReason()).as(name).isEqualTo("MALFORMED_REQUEST");
            }
        }
        // Every method of the contract is served, and so was tried above.
        assertThat(methods).hasSize(Stream.of(AccountServiceProto.getDescriptor(),
                        AuthorizationServiceProto.getDescriptor())
                .flatMap(file -> file.getServices().stream())
                .mapToInt(service -> service.getMethods().size()).sum());
    }

    @Test
    void oneWellFormedRequest_sentAsRawBytes_isServed() {
        assertThat(RawCalls.call(service.channel(), CREATE_ACCOUNT, List.of(VALID))).isNull();
    }

    private long accounts() {
        return count(service.dataSource(), "SELECT COUNT(*) FROM accounts");
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    }
}
