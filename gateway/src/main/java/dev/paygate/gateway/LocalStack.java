package dev.paygate.gateway;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./paygate run}: Envoy on 8080 (admin 127.0.0.1:9901) in front of the service (gRPC 50051,
 * management 8081), until Ctrl-C. {@code --replicas N} starts N services on consecutive ports
 * sharing one PostgreSQL. Ports come from PAYGATE_ENVOY_PORT, PAYGATE_ENVOY_ADMIN_PORT,
 * PAYGATE_ENVOY_STATS_PORT, PAYGATE_GRPC_PORT and PAYGATE_MANAGEMENT_PORT.
 */
public final class LocalStack {

    private LocalStack() {
    }

    public static void main(String[] args) throws InterruptedException {
        int replicas = 1;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--replicas") && i + 1 < args.length) {
                replicas = Integer.parseInt(args[++i]);
            } else {
                throw new IllegalArgumentException("usage: LocalStack [--replicas N]");
            }
        }
        if (replicas < 1) {
            throw new IllegalArgumentException("--replicas must be at least 1");
        }
        Repository repository = Repository.locate();
        Stack.Options options = new Stack.Options(replicas,
                port("PAYGATE_ENVOY_PORT", 8080), port("PAYGATE_ENVOY_ADMIN_PORT", 9901),
                port("PAYGATE_ENVOY_STATS_PORT", 9902),
                port("PAYGATE_GRPC_PORT", 50051), port("PAYGATE_MANAGEMENT_PORT", 8081),
                repository.root().resolve(".run"), false,
                Map.of("PAYGATE_REFLECTION", "true"), System.getenv().getOrDefault("PAYGATE_SERVICE_HEAP", "512m"));
        System.out.println("starting " + replicas + " service replica(s) and envoy ...");
        Stack stack = Stack.start(repository, options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nstopping envoy and the service ...");
            stack.close();
            stopped.countDown();
        }));
        printEndpoints(stack, repository.root().resolve(".run"));
        stopped.await();
    }

    private static void printEndpoints(Stack stack, Path workDir) {
        int port = stack.envoyPort();
        StringBuilder text = new StringBuilder();
        text.append("\nPaygate is up.\n");
        text.append("  REST and gRPC (Envoy):  http://localhost:").append(port).append('\n');
        text.append("  Envoy admin:            http://127.0.0.1:").append(stack.adminPort()).append('\n');
        text.append("  Envoy stats:            http://127.0.0.1:").append(stack.statsPort()).append("/stats/prometheus\n");
        for (ServiceProcess replica : stack.replicas()) {
            text.append("  service gRPC:           localhost:").append(replica.grpcPort())
                    .append("   metrics: http://localhost:").append(replica.managementPort()).append("/prometheus\n");
        }
        text.append("  database:               ").append(stack.databaseUrl()).append('\n');
        text.append("  logs:                   ").append(workDir).append('\n');
        text.append("\nTry:\n");
        text.append("  curl -s -X POST localhost:").append(port)
                .append("/v1/accounts -H 'content-type: application/json' \\\n")
                .append("    -d '{\"currencyCode\":\"EUR\",\"creditLimit\":{\"currencyCode\":\"EUR\",\"units\":\"500\"}}'\n");
        text.append("  grpcurl -plaintext -protoset proto/target/descriptor/paygate.pb \\\n")
                .append("    -d '{\"account\":{\"currency_code\":\"EUR\",\"credit_limit\":{\"currency_code\":\"EUR\",\"units\":500}}}' \\\n")
                .append("    localhost:").append(port).append(" paygate.v1.AccountService/CreateAccount\n");
        text.append("\nCtrl-C stops everything.\n");
        System.out.println(text);
    }

    private static int port(String variable, int fallback) {
        String value = System.getenv(variable);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }
}
