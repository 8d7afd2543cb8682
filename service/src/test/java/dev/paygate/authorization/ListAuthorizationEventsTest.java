package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.capture;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.BadRequest;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.StatusDetails;
import dev.paygate.testing.TestDatabase;
import dev.paygate.testing.TestTokens;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationEvent;
import dev.paygate.v1.AuthorizationEvent.Type;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.ListAuthorizationEventsRequest;
import dev.paygate.v1.ListAuthorizationEventsResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** ListAuthorizationEvents: oldest first, paged, filtered, and only for the account's owner. */
class ListAuthorizationEventsTest {

    @Test
    void list_pagesOldestFirst_filtersByAuthorizationAndType_andRefusesEveryoneButTheOwner() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres())) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            String first = service.authorizations().createAuthorization(authorize(account, 10)).getName();
            String second = service.authorizations().createAuthorization(authorize(account, 20)).getName();
            service.authorizations().captureAuthorization(capture(first));
            service.authorizations().createAuthorization(authorize(account, 500));  // declined
            service.authorizations().captureAuthorization(capture(second));

            List<AuthorizationEvent> all = new ArrayList<>();
            ListAuthorizationEventsRequest.Builder request = ListAuthorizationEventsRequest.newBuilder()
                    .setParent(account).setPageSize(2);
            int pages = 0;
            do {
                ListAuthorizationEventsResponse page = service.authorizations().listAuthorizationEvents(request.build());
                all.addAll(page.getAuthorizationEventsList());
                request.setPageToken(page.getNextPageToken());
                pages++;
            } while (!request.getPageToken().isEmpty());
            assertThat(pages).isEqualTo(3);
            assertThat(all).extracting(AuthorizationEvent::getSequence).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(all).extracting(AuthorizationEvent::getType).containsExactly(
                    Type.APPROVED, Type.APPROVED, Type.CAPTURED, Type.DECLINED, Type.CAPTURED);
            assertThat(all.get(4).getCapturedAfter().getUnits()).isEqualTo(30);
            assertThat(all.get(0).getActor()).isEqualTo(TestTokens.DEFAULT_SUBJECT);

            assertThat(service.authorizations().listAuthorizationEvents(ListAuthorizationEventsRequest.newBuilder()
                    .setParent(account).setAuthorization(first).build()).getAuthorizationEventsList())
                    .extracting(AuthorizationEvent::getType).containsExactly(Type.APPROVED, Type.CAPTURED);
            assertThat(service.authorizations().listAuthorizationEvents(ListAuthorizationEventsRequest.newBuilder()
                    .setParent(account).setType(Type.CAPTURED).build()).getAuthorizationEventsList())
                    .extracting(AuthorizationEvent::getAuthorization).containsExactly(first, second);

            // A token is good only with the filters it was issued under.
            String token = service.authorizations().listAuthorizationEvents(ListAuthorizationEventsRequest.newBuilder()
                    .setParent(account).setPageSize(1).build()).getNextPageToken();
            StatusRuntimeException otherFilter = catchThrowableOfType(StatusRuntimeException.class,
                    () -> service.authorizations().listAuthorizationEvents(ListAuthorizationEventsRequest.newBuilder()
                            .setParent(account).setType(Type.CAPTURED).setPageToken(token).build()));
            assertThat(otherFilter.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

            // Another owner learns nothing: not the events, not whether the account exists.
            AuthorizationServiceGrpc.AuthorizationServiceBlockingStub stranger = AuthorizationServiceGrpc.newBlockingStub(
                    service.channelAs(TestTokens.token("someone-else", TestTokens.READ)))
                    .withDeadlineAfter(10, TimeUnit.SECONDS);
            StatusRuntimeException denied = catchThrowableOfType(StatusRuntimeException.class,
                    () -> stranger.listAuthorizationEvents(ListAuthorizationEventsRequest.newBuilder()
                            .setParent(account).build()));
            assertThat(denied.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(StatusDetails.reason(denied)).isEqualTo("ACCOUNT_ACCESS_DENIED");

            // Nor through its own account, with a filter naming the victim's authorization.
            String strangerToken = TestTokens.token("someone-else", TestTokens.READ, TestTokens.WRITE);
            String strangers = AccountServiceGrpc.newBlockingStub(service.channelAs(strangerToken))
                    .withDeadlineAfter(10, TimeUnit.SECONDS).createAccount(newAccount(100)).getName();
            StatusRuntimeException crossed = catchThrowableOfType(StatusRuntimeException.class,
                    () -> stranger.listAuthorizationEvents(ListAuthorizationEventsRequest.newBuilder()
                            .setParent(strangers).setAuthorization(first).build()));
            assertThat(crossed.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        }
    }

    @Test
    void list_refusesEveryMalformedFilterOrPage_withAFieldViolation_andTakesAnEmptyFilterAsNone() throws Exception {
        try (RunningService service = RunningService.start(TestDatabase.postgres())) {
            String account = service.accounts().createAccount(newAccount(100)).getName();
            String first = service.authorizations().createAuthorization(authorize(account, 10)).getName();
            service.authorizations().createAuthorization(authorize(account, 20));
            ListAuthorizationEventsRequest base = ListAuthorizationEventsRequest.newBuilder().setParent(account).build();

            // proto3 cannot tell "" from unset: an empty filter is no filter (the OpenAPI pattern says so).
            assertThat(service.authorizations().listAuthorizationEvents(base.toBuilder().setAuthorization("").build())
                    .getAuthorizationEventsCount()).isEqualTo(2);

            String token = service.authorizations().listAuthorizationEvents(base.toBuilder().setPageSize(1).build())
                    .getNextPageToken();
            List<Refused> refused = List.of(
                    new Refused("authorization", r -> r.setAuthorization(first.toUpperCase(Locale.ROOT))),
                    new Refused("authorization", r -> r.setAuthorization(first + "\n")),
                    new Refused("authorization", r -> r.setAuthorization(first + "/")),
                    new Refused("authorization", r -> r.setAuthorization(" ")),
                    new Refused("authorization", r -> r.setAuthorization(account)),
                    new Refused("authorization", r -> r.setAuthorization(first.replace("/authorizations/", "/authorizations//"))),
                    new Refused("type", r -> r.setTypeValue(99)),
                    new Refused("page_size", r -> r.setPageSize(-1)),
                    new Refused("page_size", r -> r.setPageSize(101)),
                    new Refused("page_token", r -> r.setPageToken("x")),
                    new Refused("page_token", r -> r.setPageToken(edited(token))),
                    new Refused("page_token", r -> r.setPageToken("a".repeat(201))));
            for (Refused bad : refused) {
                ListAuthorizationEventsRequest request = bad.edit().apply(base.toBuilder()).build();
                StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
                        () -> service.authorizations().listAuthorizationEvents(request));
                assertThat(e).as("%s", request).isNotNull();
                assertThat(e.getStatus().getCode()).as("%s", request).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(StatusDetails.detail(e, BadRequest.class).orElseThrow().getFieldViolationsList())
                        .as("%s", request).extracting(BadRequest.FieldViolation::getField).containsExactly(bad.field());
            }
        }
    }

    /** The token with one character in its middle changed. */
    private static String edited(String token) {
        char[] chars = token.toCharArray();
        int middle = chars.length / 2;
        chars[middle] = chars[middle] == 'A' ? 'B' : 'A';
        return new String(chars);
    }

    private record Refused(String field, UnaryOperator<ListAuthorizationEventsRequest.Builder> edit) {
    }
}
