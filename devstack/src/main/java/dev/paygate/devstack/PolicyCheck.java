package dev.paygate.devstack;

import dev.paygate.contract.Contract;
import dev.paygate.devstack.credentials.DevCredentials;
import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.EnvoyProcess;
import dev.paygate.edge.Repository;
import dev.paygate.edge.generate.EnvoyTemplate;
import dev.paygate.edge.policy.EdgeRules;
import dev.paygate.edge.policy.Finding;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code ./paygate check [ENVOY_YAML]}: judges an Envoy config (default: the shipped envoy.yaml)
 * against every rule ({@link EdgeRules}) and the built contract, then has the real Envoy validate it as the
 * launcher would run it. One line per finding; exit status 1 when there is any.
 */
@Command(name = "./paygate check", sortOptions = false, sortSynopsis = false, usageHelpWidth = 100,
        description = "Judge an Envoy config against every edge rule and the built contract, then have the real "
                + "Envoy validate it as the launcher would run it: one line per finding, exit status 1 on any.")
public final class PolicyCheck implements Callable<Integer> {

    @Parameters(paramLabel = "ENVOY_YAML", arity = "0..1",
            description = "The config to judge (default: edge/target/envoy.yaml, the build's rendering of "
                    + "edge/envoy.yaml; a template is rendered first).")
    private Path config;

    @Mixin
    private CommandLines commandLine;

    public static void main(String[] args) {
        CommandLines.exit(new PolicyCheck(), args);
    }

    @Override
    public Integer call() {
        Repository repository = Repository.locate();
        Path judged = config == null ? repository.envoyYaml() : config.toAbsolutePath();
        if (!Files.isRegularFile(judged)) {
            throw commandLine.refuse("no such file: " + judged);
        }
        List<Finding> findings = check(repository, judged);
        findings.forEach(f -> System.out.println(f.line()));
        System.out.println(findings.isEmpty()
                ? judged + ": OK (" + EdgeRules.ids().size() + " rules, envoy --mode validate)"
                : judged + ": " + findings.size() + " finding(s)");
        return findings.isEmpty() ? 0 : 1;
    }

    /**
     * The policy findings for {@code config}, then Envoy's own verdict on its local rendering. A
     * template (edge/envoy.yaml, or an edited copy of it) is judged as the build renders it.
     */
    public static List<Finding> check(Repository repository, Path config) {
        Path judged = withContractValues(repository, config);
        List<Finding> findings = new ArrayList<>(EdgeRules.check(EnvoyConfig.load(judged),
                Contract.load(repository.descriptorSet())));
        validate(repository, judged).ifPresent(findings::add);
        return findings;
    }

    private static Path withContractValues(Repository repository, Path config) {
        try {
            String text = Files.readString(config);
            if (!EnvoyTemplate.isTemplate(text)) {
                return config;
            }
            Path rendered = Files.createTempDirectory("paygate-check-").resolve("envoy.yaml");
            return Files.writeString(rendered, EnvoyTemplate.render(text, Contract.load(repository.descriptorSet()),
                    Files.readString(repository.localReplies())));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + config, e);
        }
    }

    /**
     * {@code envoy --mode validate} on the config rendered with the launcher's rewrites (ports,
     * descriptor set, a throwaway local CA and signing key, replicas from a watched file), so that the file Envoy
     * would really load is what is judged.
     */
    static java.util.Optional<Finding> validate(Repository repository, Path config) {
        String why = "Envoy refuses to start on a config it cannot load";
        Path rendered;
        try {
            Path dir = Files.createTempDirectory("paygate-check-");
            EndpointFiles endpoints = new EndpointFiles(dir.resolve("endpoints"));
            endpoints.publish(EnvoyConfig.SERVICE_CLUSTER, List.of(new InetSocketAddress("127.0.0.1", 50051)));
            endpoints.publish(EnvoyConfig.CANARY_CLUSTER, List.of());
            rendered = LocalEdge.discoverFrom(LocalEdge.render(EnvoyConfig.load(config), repository,
                            DevCredentials.ensure(dir), 8443, 9901, 9902, List.of()), endpoints)
                    .writeTo(dir.resolve("envoy.local.yaml"));
        } catch (RuntimeException | java.io.IOException e) {
            return java.util.Optional.of(new Finding("envoy-validate", config.toString(),
                    "the launcher cannot render it: " + e.getMessage(), why,
                    "keep the listeners paygate_public and paygate_stats, the clusters paygate_service and envoy_admin, "
                            + "and the transcoder the launcher rewrites"));
        }
        try {
            EnvoyProcess.validate(repository.envoyBinary(), rendered);
            return java.util.Optional.empty();
        } catch (IllegalStateException e) {
            String output = e.getMessage().lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse(e.getMessage());
            return java.util.Optional.of(new Finding("envoy-validate", config.toString(),
                    "envoy --mode validate rejects it: " + output, why, "fix what Envoy names; the rendered file is " + rendered));
        }
    }
}
