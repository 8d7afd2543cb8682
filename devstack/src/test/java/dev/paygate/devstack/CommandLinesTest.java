package dev.paygate.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paygate.devstack.credentials.TokenCommand;
import dev.paygate.edge.Repository;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The Java command lines behind ./paygate: a careless flag gets a one-line reason, the usage and
 * exit status 2 (never a stack trace), and each command's synopsis in {@code ./paygate help} names
 * exactly the options and parameters the command takes.
 */
@Tag("static")
class CommandLinesTest {

    @ParameterizedTest
    @ValueSource(strings = {"token", "run", "check", "scale"})
    void paygateHelp_showsEveryOptionWithItsLabel_andNoOther(String name) throws IOException {
        CommandSpec spec = command(name).getCommandSpec();
        String synopsis = synopsis(name);

        List<String> taken = spec.options().stream().filter(option -> !option.usageHelp())
                .map(option -> "[" + option.longestName() + (option.arity().max() > 0 ? " " + option.paramLabel() : "") + "]")
                .toList();
        spec.positionalParameters().forEach(parameter -> assertThat(synopsis).contains(
                parameter.arity().min() > 0 ? " " + parameter.paramLabel() + " " : "[" + parameter.paramLabel() + "]"));
        taken.forEach(option -> assertThat(synopsis).contains(option));
        Matcher shown = Pattern.compile("--[a-z-]+").matcher(synopsis);
        while (shown.find()) {
            assertThat(spec.options().stream().map(OptionSpec::longestName)).as(synopsis).contains(shown.group());
        }
    }

    @Test
    void scale_outOfRange_orNotANumber_isRefusedWithTheReason_beforeAskingTheLauncher() {
        Run zero = run(command("scale"), "0");
        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.err()).startsWith("N must be 1 to 16, not 0").contains("Usage: ./paygate scale");
        assertThat(run(command("scale"), "17").err()).startsWith("N must be 1 to 16, not 17");
        assertThat(run(command("scale"), "three").err()).startsWith("Invalid value for positional parameter at index 0 (N)");
        assertThat(run(command("scale")).err()).startsWith("Missing required parameter: 'N'");
    }

    @Test
    void token_unknownOption_isRefusedWithTheUsage() {
        Run run = run(command("token"), "--bogus");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("Unknown option: '--bogus'").contains("Usage: ./paygate token");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void token_badTtl_orBlankSubject_orMissingValue_isRefusedWithTheReason() {
        assertThat(run(command("token"), "--ttl", "5x").err()).contains("a number and a unit, e.g. 90s, 15m, 1h: 5x");
        assertThat(run(command("token"), "--sub", " ").err()).startsWith("--sub must not be blank");
        assertThat(run(command("token"), "--sub").err()).startsWith("Missing required parameter for option '--sub'");
        assertThat(List.of(run(command("token"), "--ttl", "5x"), run(command("token"), "--sub", " "),
                run(command("token"), "--sub"))).allSatisfy(run -> assertThat(run.exitCode()).isEqualTo(2));
    }

    @Test
    void run_replicasNotAPositiveNumber_isRefusedBeforeAnythingStarts() {
        Run zero = run(command("run"), "--replicas", "0");
        Run word = run(command("run"), "--replicas", "x");

        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.err()).startsWith("--replicas must be at least 1").doesNotContain("Exception");
        assertThat(word.exitCode()).isEqualTo(2);
        assertThat(word.err()).startsWith("Invalid value for option '--replicas': 'x' is not an int")
                .doesNotContain("Exception");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1"})
    void run_edgesNotAPositiveNumber_isRefusedBeforeAnythingStarts(String edges) {
        Run refused = run(command("run"), "--edges", edges);
        Run word = run(command("run"), "--edges", "two");

        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).startsWith("--edges must be at least 1").contains("Usage: ./paygate run")
                .doesNotContain("Exception");
        assertThat(word.exitCode()).isEqualTo(2);
        assertThat(word.err()).startsWith("Invalid value for option '--edges': 'two' is not an int");
    }

    @Test
    void run_moreEdgesThanPortsLeft_isRefusedWithTheLastEnvoysPorts() {
        // Envoy 6000's admin port would be 9901 + 10 * 5999 = 69891.
        Run refused = run(command("run"), "--edges", "6000");

        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).startsWith("--edges 6000: the Envoys' ports clash or pass 65535 (the last one's "
                + "would be 14442, admin 69891, stats 69892)").doesNotContain("Exception");
    }

    @Test
    void check_missingFile_orTwoFiles_isRefused() {
        Run missing = run(command("check"), "no-such-envoy.yaml");
        Run two = run(command("check"), "a.yaml", "b.yaml");

        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).startsWith("no such file: ").contains("no-such-envoy.yaml");
        assertThat(two.exitCode()).isEqualTo(2);
        assertThat(two.err()).startsWith("Unmatched argument at index 1: 'b.yaml'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"token", "run", "check", "scale"})
    void help_printsTheUsage_andExitsZero(String name) {
        Run help = run(command(name), "--help");

        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).startsWith("Usage: ./paygate " + name).contains("-h, --help");
    }

    private static CommandLine command(String name) {
        return new CommandLine(switch (name) {
            case "token" -> new TokenCommand();
            case "run" -> new LocalStack();
            case "check" -> new PolicyCheck();
            case "scale" -> new ScaleCommand();
            default -> throw new IllegalArgumentException(name);
        });
    }

    /** The first line of {@code name}'s entry in the paygate script's usage text. */
    private static String synopsis(String name) throws IOException {
        String script = Files.readString(Repository.locate().root().resolve("paygate"));
        Matcher entry = Pattern.compile("(?m)^  " + name + "( .*)?$").matcher(script);
        assertThat(entry.find()).as("./paygate help lists %s", name).isTrue();
        return entry.group();
    }

    private static Run run(CommandLine command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        command.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exitCode = command.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    private record Run(int exitCode, String out, String err) {
    }
}
