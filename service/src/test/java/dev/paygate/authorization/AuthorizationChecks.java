package dev.paygate.authorization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.paygate.testing.Fixtures;
import dev.paygate.testing.RunningService;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.GetAccountRequest;
import dev.paygate.v1.GetAuthorizationRequest;
import io.grpc.StatusRuntimeException;

/** What the lifecycle tests read back after a call: the stored authorization, balances, events, counters. */
final class AuthorizationChecks {

    private AuthorizationChecks() {
    }

    /** The authorization as the service now has it. */
    static Authorization get(RunningService service, Authorization authorization) {
        return service.authorizations().getAuthorization(
                GetAuthorizationRequest.newBuilder().setName(authorization.getName()).build());
    }

    static Account balances(RunningService service, String account) {
        return service.accounts().getAccount(GetAccountRequest.newBuilder().setName(account).build());
    }

    /** The account's events of this type, counted in the table. */
    static long events(RunningService service, String account, String type) {
        return Fixtures.count(service.dataSource(),
                "SELECT COUNT(*) FROM authorization_events WHERE account_id = ? AND type = ?",
                Fixtures.accountId(account), type);
    }

    /** The sum of the counters of this name, whatever their tags. */
    static double counted(RunningService service, String name) {
        return service.meters().find(name).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    static StatusRuntimeException refused(Runnable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("the call is refused").isNotNull();
        return e;
    }
}
