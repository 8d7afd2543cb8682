package dev.paygate.devstack;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every Java command line behind ./paygate shares (a picocli mixin): {@code -h/--help}, and
 * a bad value refused as picocli refuses a bad flag: the reason, the usage, exit status 2.
 */
public final class CommandLines {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    private boolean help;

    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    /** Runs {@code command} on {@code args} and exits with its status. */
    public static void exit(Object command, String[] args) {
        System.exit(new CommandLine(command).execute(args));
    }

    /** A bad value that parsing alone cannot see; picocli answers it when the command throws it. */
    public CommandLine.ParameterException refuse(String reason) {
        return new CommandLine.ParameterException(command.commandLine(), reason);
    }
}
