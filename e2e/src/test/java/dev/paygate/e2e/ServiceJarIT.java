package dev.paygate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.edge.Repository;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import org.junit.jupiter.api.Test;

/**
 * The runnable jar the build ships holds the service's own gRPC context storage: grpc-java loads
 * whatever class it finds under this name, and opentelemetry-grpc-1.6 ships one too (a bridge that
 * allocates on every Context attach), so which copy lands in the shaded jar is a build outcome
 * (service/pom.xml's shade filter) that no unit test on a module classpath sees.
 */
class ServiceJarIT {

    private static final String STORAGE = "io/grpc/override/ContextStorageOverride.class";

    @Test
    void shadedJar_holdsOneContextStorageOverride_theServicesOwn() throws IOException {
        Repository repository = Repository.locate();
        Path ours = repository.root().resolve("service/target/classes").resolve(STORAGE);
        assertThat(ours).as("the service's compiled class").exists();

        byte[] shipped = null;
        int copies = 0;
        try (JarInputStream jar = new JarInputStream(Files.newInputStream(repository.serviceJar()))) {
            for (JarEntry entry = jar.getNextJarEntry(); entry != null; entry = jar.getNextJarEntry()) {
                if (entry.getName().equals(STORAGE)) {
                    copies++;
                    shipped = jar.readAllBytes();
                }
            }
        }

        assertThat(copies).as("%s entries in %s", STORAGE, repository.serviceJar()).isEqualTo(1);
        assertThat(shipped).as("the shipped %s is service/target/classes' copy, not OpenTelemetry's bridge", STORAGE)
                .isEqualTo(Files.readAllBytes(ours));
    }
}
