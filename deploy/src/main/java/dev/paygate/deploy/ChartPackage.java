package dev.paygate.deploy;

import dev.paygate.edge.EnvoyConfig;
import dev.paygate.edge.FileTree;
import dev.paygate.edge.capacity.ServiceAdmission;
import dev.paygate.edge.generate.RateLimitServiceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step (deploy/pom.xml, process-classes): the chart as Helm installs it. Copies
 * helm/paygate to target/helm/paygate and adds {@code files/envoy.yaml}, the edge's config
 * rendered for the cluster ({@link ClusterEdge}) from what the edge's build rendered from the
 * template, and {@code files/ratelimit.yaml}, the rate-limit service's descriptors from the same
 * budgets, and {@code files/admission.yaml}, what one service replica admits from the service's
 * application.yml: the chart never keeps a copy of any by hand.
 *
 * <p>Arguments: the built envoy.yaml, the chart's sources, the output directory, the service's
 * application.yml.
 */
public final class ChartPackage {

    /** The chart-relative path of the rendered edge config (templates/edge-configmap.yaml reads it). */
    public static final String ENVOY_YAML = "files/envoy.yaml";
    /** The rate-limit service's descriptors, from the same budgets (templates/ratelimit.yaml). */
    public static final String RATELIMIT_YAML = "files/ratelimit.yaml";
    /** What one service replica admits, from the service's application.yml (templates/_helpers.tpl). */
    public static final String ADMISSION_YAML = "files/admission.yaml";

    private ChartPackage() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            throw new IllegalArgumentException("usage: ChartPackage <envoy.yaml> <chart sources> <output dir> <service application.yml>");
        }
        Path sources = Path.of(args[1]);
        Path chart = Path.of(args[2]);
        FileTree.delete(chart);
        FileTree.copy(sources, chart);
        EnvoyConfig edge = EnvoyConfig.load(Path.of(args[0]));
        Files.createDirectories(chart.resolve(RATELIMIT_YAML).getParent());
        Files.writeString(chart.resolve(RATELIMIT_YAML), RateLimitServiceConfig.render(edge));
        ClusterEdge.render(edge).writeTo(chart.resolve(ENVOY_YAML));
        Files.writeString(chart.resolve(ADMISSION_YAML), admission(ServiceAdmission.read(Path.of(args[3]))));
    }

    /** Each admission setting's variable (which values service.env may set) and the service's default. */
    static String admission(ServiceAdmission admission) {
        return "# Generated from the service's application.yml (paygate.admission) by ChartPackage.\n"
                + setting("workers", admission.workers()) + setting("queueCapacity", admission.queueCapacity());
    }

    private static String setting(String name, ServiceAdmission.Setting setting) {
        return name + ": {variable: " + setting.variable() + ", default: " + setting.defaultValue() + "}\n";
    }
}
