package dev.paygate.authorization;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.bind.annotation.Bindable;

/**
 * List paging ({@code paygate.pagination.*}).
 *
 * @param tokenKey secret that seals page tokens; the same on every replica. Empty: a random key
 *     kept in the database.
 */
@ConfigurationProperties("paygate.pagination")
public record PaginationProperties(@Bindable(defaultValue = "") String tokenKey) {

    public PaginationProperties {
        tokenKey = tokenKey == null ? "" : tokenKey;
    }
}
