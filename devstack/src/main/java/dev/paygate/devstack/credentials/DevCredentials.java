package dev.paygate.devstack.credentials;

import dev.paygate.devstack.CommandLines;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * Everything a local edge needs to authenticate, kept in one run directory and made on first
 * use: a local CA with the edge's server certificate and one mTLS client certificate under
 * {@code tls/}, and the development signing key with its JWKS under {@code jwt/}. The directory
 * is git-ignored; deleting it makes new keys.
 */
public final class DevCredentials {

    /** The URI SAN of the client certificate made for mTLS mode. */
    public static final String CLIENT_IDENTITY = "spiffe://paygate.dev/client/dev";

    private final Path tls;
    private final DevSigningKey signingKey;

    private DevCredentials(Path tls, DevSigningKey signingKey) {
        this.tls = tls;
        this.signingKey = signingKey;
    }

    public static void main(String[] args) {
        CommandLines.exit(new Setup(), args);
    }

    /** {@code ./paygate setup}'s last step: makes the credentials of .run (compose mounts them from there). */
    @Command(name = "DevCredentials", usageHelpWidth = 100,
            description = "Make the local CA, the edge's and a client's certificates (.run/tls) and the development "
                    + "signing key (.run/jwt) unless they exist; print where they are.")
    static final class Setup implements Runnable {

        @Mixin
        private CommandLines commandLine;

        @Override
        public void run() {
            DevCredentials credentials = ensure(dev.paygate.edge.Repository.locate().root().resolve(".run"));
            System.out.println("local CA: " + credentials.caCertificate() + "\nJWKS: " + credentials.signingKey().jwksFile());
        }
    }

    public static DevCredentials ensure(Path runDir) {
        Path tls = runDir.resolve("tls");
        boolean complete = Stream.of("ca.pem", "server.pem", "server.key", "client.pem", "client.key")
                .allMatch(name -> Files.exists(tls.resolve(name)));
        if (!complete) {
            LocalCertificateAuthority ca = LocalCertificateAuthority.create("Paygate local CA");
            ca.writeCertificate(tls.resolve("ca.pem"));
            ca.issueServer().write(tls.resolve("server.pem"), tls.resolve("server.key"));
            ca.issueClient(CLIENT_IDENTITY).write(tls.resolve("client.pem"), tls.resolve("client.key"));
        }
        return new DevCredentials(tls, DevSigningKey.loadOrCreate(runDir.resolve("jwt")));
    }

    /** The CA that clients trust (curl --cacert, grpcurl -cacert). */
    public Path caCertificate() {
        return tls.resolve("ca.pem");
    }

    public Path serverCertificate() {
        return tls.resolve("server.pem");
    }

    public Path serverKey() {
        return tls.resolve("server.key");
    }

    public Path clientCertificate() {
        return tls.resolve("client.pem");
    }

    public Path clientKey() {
        return tls.resolve("client.key");
    }

    public DevSigningKey signingKey() {
        return signingKey;
    }
}
