package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The ledger after a {@link KeyedWriteLoad} whose clients retried every key until it succeeded. */
final class ExactlyOnce {

    private ExactlyOnce() {
    }

    /** Every key succeeded; each account holds one authorization per key, and its held amount is 1 EUR per key. */
    static void assertEveryKeyHoldsOnce(Edge edge, List<String> accounts, List<KeyedWriteLoad.Attempt> attempts) {
        Map<String, Long> keysPerAccount = attempts.stream().map(a -> a.account() + " " + a.key()).distinct()
                .collect(Collectors.groupingBy(accountAndKey -> accountAndKey.split(" ")[0], Collectors.counting()));
        assertThat(attempts.stream().filter(a -> a.code() == Status.Code.OK).map(KeyedWriteLoad.Attempt::key).distinct()
                .count()).as("every key succeeded in the end").isEqualTo(keysPerAccount.values().stream()
                .mapToLong(Long::longValue).sum());
        for (String account : accounts) {
            String id = account.substring("accounts/".length());
            long keys = keysPerAccount.getOrDefault(account, 0L);
            assertThat(edge.count("SELECT COUNT(*) FROM authorizations WHERE account_id = '" + id + "'"))
                    .as("authorizations of %s = its keys", account).isEqualTo(keys);
            assertThat(edge.count("SELECT CAST(held AS BIGINT) FROM accounts WHERE id = '" + id + "'"))
                    .as("held on %s = 1 EUR per key", account).isEqualTo(keys);
        }
    }
}
