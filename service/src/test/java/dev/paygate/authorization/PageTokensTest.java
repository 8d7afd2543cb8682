package dev.paygate.authorization;

import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.ListAuthorizationsRequest;
import org.junit.jupiter.api.Test;

/** Page tokens from one replica work on another sharing its database (behind Envoy, pages cross replicas). */
class PageTokensTest {

    @Test
    void tokenIssuedByOneReplica_isAcceptedByAnotherOnTheSameDatabase() throws Exception {
        TestDatabase database = TestDatabase.postgres();
        try (RunningService first = RunningService.start(database);
             RunningService second = RunningService.start(database)) {
            String account = first.accounts().createAccount(newAccount(100)).getName();
            for (int i = 0; i < 3; i++) {
                first.authorizations().createAuthorization(authorize(account, 1));
            }
            ListAuthorizationsRequest firstPage = ListAuthorizationsRequest.newBuilder()
                    .setParent(account).setPageSize(2).build();
            String token = first.authorizations().listAuthorizations(firstPage).getNextPageToken();

            var rest = second.authorizations().listAuthorizations(firstPage.toBuilder().setPageToken(token).build());

            assertThat(token).isNotEmpty();
            assertThat(rest.getAuthorizationsCount()).isEqualTo(1);
            assertThat(rest.getNextPageToken()).isEmpty();
        }
    }
}
