package dev.paygate.account;

/** Parses and formats resource names; the contract's validation rules already checked their shape. */
public final class ResourceNames {

    private static final String ACCOUNTS = "accounts/";
    private static final String AUTHORIZATIONS = "/authorizations/";

    private ResourceNames() {
    }

    public static String account(String accountId) {
        return ACCOUNTS + accountId;
    }

    public static String authorization(String accountId, String authorizationId) {
        return ACCOUNTS + accountId + AUTHORIZATIONS + authorizationId;
    }

    /** The account id in {@code accounts/{id}} or {@code accounts/{id}/authorizations/{id}}. */
    public static String accountId(String name) {
        int end = name.indexOf('/', ACCOUNTS.length());
        return name.substring(ACCOUNTS.length(), end < 0 ? name.length() : end);
    }

    /** The authorization id in {@code accounts/{id}/authorizations/{id}}. */
    public static String authorizationId(String name) {
        return name.substring(name.indexOf(AUTHORIZATIONS) + AUTHORIZATIONS.length());
    }
}
