package l4smp.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/**
 * {@code l4smp}: the command line of the emulator (the main class of {@code l4smp.jar}).
 * Subcommands: {@code list}, {@code run}, {@code hunt}, {@code bench}, {@code reproduce}.
 *
 * <p>Exit codes: 0 success; 1 a run failed or stalled (machine outcome not ok, or a user thread
 * threw; the report is printed), or an output file could not be written; 2 a bad command line
 * (one line on stderr naming the option); 3 a degraded run; 130 and 143 a run interrupted by
 * SIGINT or SIGTERM (the report of what ran is printed and the files are written).
 */
@Command(name = "l4smp", mixinStandardHelpOptions = true, versionProvider = L4smpCommand.Version.class,
        description = "A real-thread emulator of the SMP L4 microkernel: run stress scenarios, read latency "
                + "histograms and counters, replay seeded runs.",
        subcommands = {ListCommand.class, RunCommand.class, HuntCommand.class, CompareCommand.class, PlotCommand.class,
                CountersCommand.class, BenchCommand.class, ReproduceCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Examples:", "  l4smp list", "  l4smp run pingpong", "  l4smp run ipi-pingpong --cpus 2 --seed 7 --ops 10000 --json out.json",
                "  l4smp run pingpong --help", "  l4smp hunt --plant lost-wakeup --seeds 200", "  l4smp bench"})
public final class L4smpCommand implements Callable<Integer> {

    /** Exit code of a run that failed. */
    public static final int EXIT_FAILED = 1;
    /** Exit code of a bad command line. */
    public static final int EXIT_USAGE = 2;
    /** Exit code of a degraded run: it ran, but could not do its operations (e.g. no AP came up). */
    public static final int EXIT_DEGRADED = 3;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = execute(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs the command line {@code args} with these streams; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return commandLine(out, err).execute(args);
    }

    /** The configured command line (streams, the one-line error handlers). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new L4smpCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler(L4smpCommand::usageError);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("l4smp: error: " + ex);
            ex.printStackTrace(commandLine.getErr());
            return EXIT_FAILED;
        });
        // the run command collects the scenario's own options itself
        cl.getSubcommands().get("run").setUnmatchedOptionsArePositionalParams(true);
        cl.getSubcommands().get("hunt").setUnmatchedOptionsArePositionalParams(true);
        return cl;
    }

    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        if (ex instanceof CommandLine.UnmatchedArgumentException u && cl.getParent() == null
                && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
            // a word where a command belongs: name it and the commands there are
            return usageLine(cl, "unknown command '" + u.getUnmatched().getFirst() + "' (commands: "
                    + String.join(", ", cl.getSubcommands().keySet()) + ")");
        }
        return usageLine(cl, ex.getMessage());
    }

    /** Prints the one line of a usage error (with the hint to --help) and returns {@link #EXIT_USAGE}. */
    static int usageLine(CommandLine cl, String message) {
        String name = cl.getCommandSpec().qualifiedName();
        String msg = message == null ? "bad command line" : message.strip().replace('\n', ' ');
        cl.getErr().println(name + ": " + msg + " (see '" + name + " --help')");
        cl.getErr().flush();
        return EXIT_USAGE;
    }

    /** The version from the jar's manifest, when packaged. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = L4smpCommand.class.getPackage().getImplementationVersion();
            return new String[]{"l4smp " + (v == null ? "(development build)" : v) + ", Java "
                    + Runtime.version()};
        }
    }
}
