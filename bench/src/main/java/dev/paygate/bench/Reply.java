package dev.paygate.bench;

/**
 * What one call came back with: {@link #OK} or an error code (the gRPC status code's name, or
 * {@code HTTP_<status>} for REST, or the client-side failure), and for a created authorization
 * its name and whether it was approved.
 */
record Reply(String code, String authorization, boolean approved) {

    static final String OK = "OK";

    static Reply ok() {
        return new Reply(OK, null, false);
    }

    static Reply failed(String code) {
        return new Reply(code, null, false);
    }

    boolean isOk() {
        return OK.equals(code);
    }
}
