package dev.paygate.devstack.credentials;

import io.grpc.ManagedChannel;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Clients of the edge that trust the local CA, as a user's curl --cacert or grpcurl -cacert
 * would: REST over HTTPS and gRPC over TLS (ALPN h2), with a client certificate for mTLS mode.
 */
public final class EdgeTls {

    private EdgeTls() {
    }

    /** An HTTPS client trusting only this CA; host names are verified (localhost, 127.0.0.1). */
    public static HttpClient httpClient(Path caCertificate, HttpClient.Version version) {
        return HttpClient.newBuilder()
                .version(version)
                .sslContext(trusting(caCertificate))
                .connectTimeout(Duration.ofSeconds(2))
                .build();
    }

    /** The same, presenting a client certificate (mTLS mode). */
    public static HttpClient httpClient(Path caCertificate, HttpClient.Version version, Path clientCertificate,
                                        Path clientKey) {
        return HttpClient.newBuilder()
                .version(version)
                .sslContext(context(caCertificate, clientCertificate, clientKey))
                .connectTimeout(Duration.ofSeconds(2))
                .build();
    }

    /**
     * A Netty TLS client context for plain HTTP/2 (ALPN offers only h2) trusting only this CA, host
     * names verified. It starts from grpc-java's own choice for {@link #channel} (provider: OpenSSL
     * when netty-tcnative is on the classpath, else the JDK's, as here; HTTP/2 cipher suites), so a
     * Netty HTTP/2 client and a gRPC channel pay the same for TLS.
     */
    public static SslContext http2Client(Path caCertificate) {
        try {
            return GrpcSslContexts.forClient().trustManager(caCertificate.toFile())
                    .endpointIdentificationAlgorithm("HTTPS")
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            ApplicationProtocolNames.HTTP_2))
                    .build();
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException("cannot set up TLS for the edge", e);
        }
    }

    /** A gRPC channel over TLS to the edge on localhost. */
    public static ManagedChannel channel(int port, Path caCertificate) {
        return channel(port, GrpcSslContexts.forClient().trustManager(caCertificate.toFile()));
    }

    /** The same, presenting a client certificate (mTLS mode). */
    public static ManagedChannel channel(int port, Path caCertificate, Path clientCertificate, Path clientKey) {
        return channel(port, GrpcSslContexts.forClient().trustManager(caCertificate.toFile())
                .keyManager(clientCertificate.toFile(), clientKey.toFile()));
    }

    private static ManagedChannel channel(int port, SslContextBuilder tls) {
        try {
            return NettyChannelBuilder.forAddress("localhost", port).sslContext(tls.build()).build();
        } catch (javax.net.ssl.SSLException e) {
            throw new IllegalStateException("cannot set up TLS for the edge", e);
        }
    }

    /** An SSL context whose only trust anchor is this CA certificate (PEM). */
    public static SSLContext trusting(Path caCertificate) {
        return context(caCertificate, null, null);
    }

    private static SSLContext context(Path caCertificate, Path clientCertificate, Path clientKey) {
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("paygate-local-ca", certificate(caCertificate));
            TrustManagerFactory trustFactory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustFactory.init(trust);
            KeyManager[] keyManagers = null;
            if (clientCertificate != null) {
                KeyStore identity = KeyStore.getInstance(KeyStore.getDefaultType());
                identity.load(null, null);
                identity.setKeyEntry("client", privateKey(clientKey), new char[0],
                        new Certificate[] {certificate(clientCertificate)});
                KeyManagerFactory keyFactory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keyFactory.init(identity, new char[0]);
                keyManagers = keyFactory.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, trustFactory.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS files", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS with " + caCertificate, e);
        }
    }

    private static Certificate certificate(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static PrivateKey privateKey(Path pem) throws IOException {
        try (PEMParser parser = new PEMParser(Files.newBufferedReader(pem))) {
            return new JcaPEMKeyConverter().getPrivateKey(PrivateKeyInfo.getInstance(parser.readObject()));
        }
    }
}
