package dev.paygate.authorization;

import dev.paygate.testing.TestDatabase;

/** The payments contract on a real PostgreSQL server, the production database. */
class PostgresPaymentsContractTest extends PaymentsContractTest {

    @Override
    TestDatabase database() {
        return TestDatabase.postgres();
    }
}
