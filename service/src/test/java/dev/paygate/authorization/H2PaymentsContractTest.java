package dev.paygate.authorization;

import dev.paygate.testing.TestDatabase;

/** The payments contract on H2, the embedded default. */
class H2PaymentsContractTest extends PaymentsContractTest {

    @Override
    TestDatabase database() {
        return TestDatabase.h2Memory();
    }
}
