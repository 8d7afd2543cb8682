package dev.paygate.account;

import dev.paygate.auth.Caller;
import dev.paygate.grpc.CallMetadata;
import dev.paygate.grpc.RequestGate;
import dev.paygate.grpc.UnaryCalls;
import dev.paygate.idempotency.IdempotencyKey;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import jakarta.inject.Singleton;

/** gRPC transport for {@code paygate.v1.AccountService}; the rules live in {@link Accounts}. */
@Singleton
public class AccountEndpoint implements AccountServiceGrpc.AsyncService, BindableService {

    private final Accounts accounts;
    private final RequestGate gate;

    public AccountEndpoint(Accounts accounts, RequestGate gate) {
        this.accounts = accounts;
        this.gate = gate;
    }

    /** Handlers get exactly one well-formed, valid request ({@link RequestGate}). */
    @Override
    public ServerServiceDefinition bindService() {
        return gate.guard(AccountServiceGrpc.bindService(this));
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
