package dev.paygate.devstack.credentials;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Private keys on disk are readable by their owner only, as ssh and openssl expect. */
final class Secrets {

    private Secrets() {
    }

    static void ownerOnly(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: nothing to narrow.
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restrict " + file, e);
        }
    }
}
