package dev.paygate.bench;

import com.google.type.Money;
import dev.paygate.devstack.credentials.DevSigningKey;
import dev.paygate.devstack.credentials.TokenPolicy;
import dev.paygate.v1.Account;
import dev.paygate.v1.AccountServiceGrpc;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.GetAccountRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The run's accounts, all owned by the token's subject ("bench"), created and read back straight
 * through the service's gRPC port; and the run's tokens.
 */
final class RunAccounts implements Operation.Accounts {

    static final String SUBJECT = "bench";
    private static final Money LIMIT = Money.newBuilder().setCurrencyCode("EUR").setUnits(1_000_000_000_000L).build();

    private final AccountServiceGrpc.AccountServiceBlockingStub accounts;
    private final String bearer;
    private final List<String> spread;
    private final String hot;
    private final String withHistory;
    private final List<String> freshTokens;

    private RunAccounts(AccountServiceGrpc.AccountServiceBlockingStub accounts, String bearer, List<String> spread,
                        String hot, String withHistory, List<String> freshTokens) {
        this.accounts = accounts;
        this.bearer = bearer;
        this.spread = spread;
        this.hot = hot;
        this.withHistory = withHistory;
        this.freshTokens = freshTokens;
    }

    static RunAccounts create(ManagedChannel direct, DevSigningKey signingKey, String bearer, int spreadCount,
                              int freshTokenCount) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), bearer);
        var stub = AccountServiceGrpc.newBlockingStub(direct)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        List<String> spread = new ArrayList<>();
        for (int i = 0; i < spreadCount; i++) {
            spread.add(newAccount(stub));
        }
        // Distinct valid tokens, minted before the clock starts: Envoy's verified-token cache
        // (1000 per worker) misses on each, so every call pays a full ES256 check at the edge.
        List<String> tokens = new ArrayList<>(freshTokenCount);
        for (int i = 0; i < freshTokenCount; i++) {
            tokens.add("Bearer " + signingKey.sign(DevSigningKey.claims(TokenPolicy.DEVELOPMENT, SUBJECT,
                    TokenPolicy.ALL_SCOPES, Duration.ofHours(2)).build()));
        }
        return new RunAccounts(stub, bearer, List.copyOf(spread), newAccount(stub), newAccount(stub), tokens);
    }

    private static String newAccount(AccountServiceGrpc.AccountServiceBlockingStub stub) {
        return stub.withDeadlineAfter(5, TimeUnit.SECONDS).createAccount(CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(LIMIT)).build()).getName();
    }

    /** What the service holds and has captured on each account, in units. */
    Map<String, Ledger.Observed> readBack(List<String> names) {
        Map<String, Ledger.Observed> observed = new HashMap<>();
        for (String name : names) {
            Account account = accounts.withDeadlineAfter(5, TimeUnit.SECONDS)
                    .getAccount(GetAccountRequest.newBuilder().setName(name).build());
            observed.put(name, new Ledger.Observed(account.getHeld().getUnits(), account.getCaptured().getUnits()));
        }
        return observed;
    }

    @Override
    public String anySpread() {
        return Operation.Accounts.pick(spread);
    }

    @Override
    public String hot() {
        return hot;
    }

    @Override
    public String withHistory() {
        return withHistory;
    }

    /** A new account on every call: each fresh-account scenario starts from none. */
    @Override
    public String fresh() {
        return newAccount(accounts);
    }

    @Override
    public String bearer() {
        return bearer;
    }

    @Override
    public List<String> freshTokens() {
        return freshTokens;
    }
}
