package dev.paygate.bench;

import com.google.type.Money;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.AuthorizationEvent;
import dev.paygate.v1.AuthorizationServiceGrpc;
import dev.paygate.v1.GetAccountRequest;
import dev.paygate.v1.ListAuthorizationEventsRequest;
import dev.paygate.v1.ListAuthorizationEventsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The event/balance property, checked on every account a run touched: the held and
 * captured amounts the service reports equal what the account's authorization events add up to.
 * The events are read as a client would, with ListAuthorizationEvents page by page (100 a page,
 * keyset-paged by the service, so a long history costs one indexed query a page). The sum is
 * the events' deltas ({@code held_after - held_before}, the same for captured) from zero, and
 * the events must chain: sequences 1, 2, 3, ... and each one's "before" the previous one's
 * "after". Read after the run's writes have all been answered, so no event is still coming.
 */
final class EventLedger {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final int PAGE_SIZE = 100;

    /** What the check found: the differences (empty when consistent) and how much it read. */
    record Result(List<String> mismatches, int accounts, long events) {
    }

    private EventLedger() {
    }

    /** Reads each account (with its owner's bearer) and all its events, and checks one against the other. */
    static Result check(ManagedChannel direct, Map<String, String> bearerByAccount) {
        List<String> mismatches = new ArrayList<>();
        long events = 0;
        for (Map.Entry<String, String> entry : bearerByAccount.entrySet()) {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, entry.getValue());
            var interceptor = MetadataUtils.newAttachHeadersInterceptor(headers);
            Account account = AccountServiceGrpc.newBlockingStub(direct).withInterceptors(interceptor)
                    .withDeadlineAfter(Deadlines.READ_SECONDS, TimeUnit.SECONDS)
                    .getAccount(GetAccountRequest.newBuilder().setName(entry.getKey()).build());
            List<AuthorizationEvent> all = new ArrayList<>();
            String pageToken = "";
            do {
                ListAuthorizationEventsResponse page = AuthorizationServiceGrpc.newBlockingStub(direct)
                        .withInterceptors(interceptor).withDeadlineAfter(Deadlines.READ_SECONDS, TimeUnit.SECONDS)
                        .listAuthorizationEvents(ListAuthorizationEventsRequest.newBuilder().setParent(entry.getKey())
                                .setPageSize(PAGE_SIZE).setPageToken(pageToken).build());
                all.addAll(page.getAuthorizationEventsList());
                pageToken = page.getNextPageToken();
            } while (!pageToken.isEmpty());
            events += all.size();
            mismatches.addAll(mismatches(entry.getKey(), account.getHeld(), account.getCaptured(), all));
        }
        return new Result(mismatches, bearerByAccount.size(), events);
    }

    /** Where the account's amounts and its events (oldest first) disagree; empty when they agree. */
    static List<String> mismatches(String account, Money held, Money captured, List<AuthorizationEvent> events) {
        List<String> differing = new ArrayList<>();
        BigDecimal heldSum = BigDecimal.ZERO;
        BigDecimal capturedSum = BigDecimal.ZERO;
        long expectedSequence = 1;
        for (AuthorizationEvent event : events) {
            if (event.getSequence() != expectedSequence) {
                differing.add(account + ": event " + expectedSequence + " is sequence " + event.getSequence());
                expectedSequence = event.getSequence();
            }
            if (amount(event.getHeldBefore()).compareTo(heldSum) != 0
                    || amount(event.getCapturedBefore()).compareTo(capturedSum) != 0) {
                differing.add(account + ": event " + event.getSequence() + " starts from held "
                        + plain(amount(event.getHeldBefore())) + " captured " + plain(amount(event.getCapturedBefore()))
                        + ", the events before it add up to held " + plain(heldSum) + " captured " + plain(capturedSum));
            }
            heldSum = heldSum.add(amount(event.getHeldAfter()).subtract(amount(event.getHeldBefore())));
            capturedSum = capturedSum.add(amount(event.getCapturedAfter()).subtract(amount(event.getCapturedBefore())));
            expectedSequence++;
        }
        if (amount(held).compareTo(heldSum) != 0 || amount(captured).compareTo(capturedSum) != 0) {
            differing.add(account + ": held " + plain(amount(held)) + " captured " + plain(amount(captured)) + ", its "
                    + events.size() + " events add up to held " + plain(heldSum) + " captured " + plain(capturedSum));
        }
        return differing;
    }

    private static String plain(BigDecimal amount) {
        return amount.stripTrailingZeros().toPlainString();
    }

    private static BigDecimal amount(Money money) {
        return BigDecimal.valueOf(money.getUnits()).add(BigDecimal.valueOf(money.getNanos(), 9));
    }
}
