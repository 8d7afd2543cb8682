package dev.paygate.account;

import static dev.paygate.testing.Fixtures.accountId;
import static dev.paygate.testing.Fixtures.authorize;
import static dev.paygate.testing.Fixtures.eur;
import static dev.paygate.testing.Fixtures.newAccount;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.testing.RowLock;
import dev.paygate.testing.RunningService;
import dev.paygate.testing.TestDatabase;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.GetAccountRequest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * How a payment locks its account row: against every other balance change (the concurrency tests
 * of PaymentsContractTest), but not against a transaction that only references the account.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccountRowLockTest {

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
    void authorize_whileAnotherTransactionInsertsAnAuthorizationOfTheAccount_approvesWithinItsDeadline()
            throws Exception {
        String account = service.accounts().createAccount(newAccount(100)).getName();

        try (RowLock foreignKeyShare = RowLock.referenceAccount(service.dataSource().getConnection(),
                accountId(account))) {
            Authorization approved = service.authorizations().withDeadlineAfter(2, TimeUnit.SECONDS)
                    .createAuthorization(authorize(account, 10));

            assertThat(approved.getState()).isEqualTo(Authorization.State.APPROVED);
            assertThat(foreignKeyShare.waiters()).isZero();
        }
        assertThat(service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build()).getHeld())
                .isEqualTo(eur(10));
    }
}
