package dev.paygate.authorization;

import io.micronaut.context.annotation.ConfigurationProperties;

/** List paging ({@code paygate.pagination.*}). */
@ConfigurationProperties("paygate.pagination")
public class PaginationProperties {

    /** Secret that seals page tokens; the same on every replica. Empty: a random key kept in the database. */
    private String tokenKey = "";

    public String getTokenKey() {
        return tokenKey;
    }

    public void setTokenKey(String tokenKey) {
        this.tokenKey = tokenKey == null ? "" : tokenKey;
    }
}
