package dev.paygate.testing;

import com.google.type.Money;
import dev.paygate.v1.Account;
import dev.paygate.v1.Authorization;
import dev.paygate.v1.CaptureAuthorizationRequest;
import dev.paygate.v1.CreateAccountRequest;
import dev.paygate.v1.CreateAuthorizationRequest;
import dev.paygate.v1.VoidAuthorizationRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Requests and database reads that many tests share. */
public final class Fixtures {

    private Fixtures() {
    }

    public static Money eur(long units) {
        return Money.newBuilder().setCurrencyCode("EUR").setUnits(units).build();
    }

    public static CreateAccountRequest newAccount(long limitUnits) {
        return CreateAccountRequest.newBuilder()
                .setAccount(Account.newBuilder().setCurrencyCode("EUR").setCreditLimit(eur(limitUnits)))
                .build();
    }

    public static CreateAuthorizationRequest authorize(String account, long units) {
        return CreateAuthorizationRequest.newBuilder()
                .setParent(account)
                .setAuthorization(Authorization.newBuilder()
                        .setAmount(eur(units))
                        .setMerchantId("merchant-1")
                        .setMerchantCategoryCode("5411"))
                .build();
    }

    public static CaptureAuthorizationRequest capture(String name) {
        return CaptureAuthorizationRequest.newBuilder().setName(name).build();
    }

    public static VoidAuthorizationRequest voidOf(String name) {
        return VoidAuthorizationRequest.newBuilder().setName(name).build();
    }

    public static long count(DataSource dataSource, String sql, Object... parameters) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The id part of {@code accounts/{id}}. */
    public static String accountId(String name) {
        return name.substring("accounts/".length(), name.indexOf('/', "accounts/".length()) < 0
                ? name.length() : name.indexOf('/', "accounts/".length()));
    }
}
