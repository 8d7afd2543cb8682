package dev.paygate.e2e;

import com.google.type.Money;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;

/** The gRPC requests a client of the edge sends over and over: open a EUR account, authorize against it. */
final class Payments {

    private Payments() {
    }

    /** CreateAccount for a EUR account with this credit limit. */
    static CreateAccountRequest account(long creditLimitUnits) {
        return CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(eur(creditLimitUnits))
                        .setDisplayName("e2e"))
                .build();
    }

    /** CreateAuthorization of {@code units} EUR at a grocery (MCC 5411), unkeyed. */
    static CreateAuthorizationRequest authorize(String account, long units) {
        return CreateAuthorizationRequest.newBuilder()
                .setParent(account)
                .setAuthorization(Authorization.newBuilder().setAmount(eur(units)).setMerchantId("shop-1")
                        .setMerchantCategoryCode("5411"))
                .build();
    }

    static Money eur(long units) {
        return Money.newBuilder().setCurrencyCode("EUR").setUnits(units).build();
    }
}
