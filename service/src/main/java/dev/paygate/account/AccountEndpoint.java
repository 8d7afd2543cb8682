package dev.paygate.account;

import dev.paygate.auth.Caller;
import dev.paygate.grpc.CallMetadata;
import dev.paygate.grpc.UnaryCalls;
import dev.paygate.idempotency.IdempotencyKey;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Singleton;

/** gRPC transport for {@code paygate.v1.AccountService}; the rules live in {@link Accounts}. */
@Singleton
public class AccountEndpoint extends AccountServiceGrpc.AccountServiceImplBase {

    private final Accounts accounts;

    public AccountEndpoint(Accounts accounts) {
        this.accounts = accounts;
    }

    @Override
    public void getAccount(GetAccountRequest request, StreamObserver<Account> observer) {
        UnaryCalls.respond(observer, () -> accounts.get(request.getName(), Caller.current().subject()));
    }

    @Override
    public void createAccount(CreateAccountRequest request, StreamObserver<Account> observer) {
        UnaryCalls.respondToMutation(observer, () -> accounts.create(request,
                IdempotencyKey.resolve(request.getRequestId(), CallMetadata.IDEMPOTENCY_KEY.get()),
                Caller.current().subject()));
    }
}
