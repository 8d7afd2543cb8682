package dev.paygate.bench;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** What one benchmark call does. Every write carries a fresh idempotency key. */
enum Operation {
    /** GetAccount on one of the spread accounts. */
    READ("read", false),
    /** The same read, each call with a token Envoy has not verified lately (see {@link Accounts#freshTokens}). */
    READ_UNCACHED_TOKEN("read_uncached_token", false),
    /** A keyed CreateAuthorization on one of 100 accounts, picked at random. */
    CREATE_SPREAD("create_spread_100_accounts", true),
    /** A keyed CreateAuthorization, always on the same account: the hot-row ceiling. */
    CREATE_HOT("create_hot_account", true),
    /** A keyed CreateAuthorization on the account loaded with --history N authorizations first. */
    CREATE_AFTER_HISTORY("create_after_history", true),
    /** The same on an account with no history before its scenario: the baseline for the one above. */
    CREATE_FRESH_ACCOUNT("create_fresh_account", true),
    /**
     * A keyed CreateAuthorization then, keyed too, a capture (even calls) or a void (odd calls)
     * of it; latency is the pair's.
     */
    CAPTURE_OR_VOID("authorize_then_capture_or_void", true);

    static final long UNITS = 1;

    final String key;
    final boolean writes;

    Operation(String key, boolean writes) {
        this.key = key;
        this.writes = writes;
    }

    /** The call, bound to a client and the run's accounts; replies are booked in the ledger. */
    Supplier<CompletableFuture<Reply>> bind(PaygateClient client, Accounts accounts, Ledger ledger) {
        AtomicLong sequence = new AtomicLong();
        return switch (this) {
            case READ -> () -> client.getAccount(accounts.anySpread(), accounts.bearer());
            case READ_UNCACHED_TOKEN -> {
                List<String> tokens = accounts.freshTokens();
                yield () -> client.getAccount(accounts.anySpread(),
                        tokens.get((int) (sequence.getAndIncrement() % tokens.size())));
            }
            case CREATE_SPREAD -> () -> create(client, accounts.anySpread(), ledger);
            case CREATE_HOT -> () -> create(client, accounts.hot(), ledger);
            case CREATE_AFTER_HISTORY -> () -> create(client, accounts.withHistory(), ledger);
            case CREATE_FRESH_ACCOUNT -> {
                String account = accounts.fresh();
                yield () -> create(client, account, ledger);
            }
            case CAPTURE_OR_VOID -> () -> {
                String account = accounts.anySpread();
                boolean capture = sequence.getAndIncrement() % 2 == 0;
                return create(client, account, ledger).thenCompose(created -> {
                    if (!created.isOk()) {
                        return CompletableFuture.completedFuture(created);
                    }
                    if (!created.approved()) {
                        return CompletableFuture.completedFuture(Reply.failed("DECLINED"));
                    }
                    String key = UUID.randomUUID().toString();
                    CompletableFuture<Reply> settled = capture
                            ? client.capture(created.authorization(), key)
                            : client.voidAuthorization(created.authorization(), key);
                    return settled.thenApply(reply -> {
                        if (!reply.isOk()) {
                            ledger.ambiguous();
                        } else if (capture) {
                            ledger.captured(account, UNITS);
                        } else {
                            ledger.voided(account, UNITS);
                        }
                        return reply;
                    });
                });
            };
        };
    }

    private static CompletableFuture<Reply> create(PaygateClient client, String account, Ledger ledger) {
        return client.createAuthorization(account, UNITS, UUID.randomUUID().toString()).thenApply(reply -> {
            if (!reply.isOk()) {
                ledger.ambiguous();
            } else if (reply.approved()) {
                ledger.approved(account, UNITS);
            }
            return reply;
        });
    }

    /** The accounts and tokens of a run: every account belongs to the token's subject. */
    interface Accounts {
        String anySpread();

        String hot();

        /** The account that --history loaded with authorizations before the plan. */
        String withHistory();

        /** A new account, with no authorizations yet. */
        String fresh();

        String bearer();

        List<String> freshTokens();

        static String pick(List<String> accounts) {
            return accounts.get(ThreadLocalRandom.current().nextInt(accounts.size()));
        }
    }
}
