package dev.paygate.e2e;

import dev.paygate.edge.Command;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Debian's Chromium, headless, as a person's browser would load a page: scripts run, then the
 * rendered DOM or a screenshot is taken. Each run gets a fresh profile and no background traffic.
 * {@code ./paygate test} installs the package when it is missing.
 */
final class HeadlessChromium {

    private static final Path BINARY = Path.of(System.getProperty("paygate.chromium", "/usr/bin/chromium"));
    /** Virtual time the page gets to fetch and render (Swagger UI needs well under a second). */
    private static final int BUDGET_MILLIS = 15_000;

    private final Path profiles;
    private final String trustedKey;

    /**
     * @param serverCertificate the edge's certificate (PEM), from the stack's local CA: Chromium
     *                          accepts exactly this certificate's public key and no other untrusted one
     */
    HeadlessChromium(Path profiles, Path serverCertificate) {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: ./paygate test installs Debian's chromium");
        }
        this.profiles = profiles;
        this.trustedKey = spkiSha256(serverCertificate);
    }

    /** The DOM after the page's scripts ran. */
    String renderedDom(String url) {
        return run(List.of("--dump-dom", url));
    }

    /** Saves a PNG of the rendered page. */
    void screenshot(String url, Path png, int width, int height) {
        try {
            Files.createDirectories(png.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        run(List.of("--window-size=" + width + "," + height, "--hide-scrollbars",
                "--screenshot=" + png.toAbsolutePath(), url));
    }

    private String run(List<String> args) {
        List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + freshProfile(), "--virtual-time-budget=" + BUDGET_MILLIS,
                "--ignore-certificate-errors-spki-list=" + trustedKey));
        command.addAll(args);
        Command.Result result = Command.run(
                new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD), Duration.ofSeconds(60));
        if (result.exitCode() != 0) {
            throw new IllegalStateException("chromium exited with " + result.exitCode() + ": " + command);
        }
        return result.output();
    }

    /** base64(SHA-256(SubjectPublicKeyInfo)), the form Chromium's SPKI allow-list takes. */
    private static String spkiSha256(Path certificatePem) {
        try (var in = Files.newInputStream(certificatePem)) {
            var certificate = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded());
            return java.util.Base64.getEncoder().encodeToString(digest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot read " + certificatePem, e);
        }
    }

    private Path freshProfile() {
        try {
            return Files.createTempDirectory(profiles, "chromium-profile-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
