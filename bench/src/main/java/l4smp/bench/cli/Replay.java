package l4smp.bench.cli;

import l4smp.bench.report.Json;
import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.RunSpecCodec;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code l4smp run --replay REPORT.json}: the run a JSON report describes (its {@code run}
 * member), with this command line's output options. Options that change the run are refused:
 * the replay is the recorded run, nothing else.
 *
 * <p>Stateless; the command's thread.
 */
final class Replay {

    /** The options of {@code run} that only choose what is written, not what runs. */
    private static final Set<String> OUTPUT_OPTIONS = Set.of("--replay", "--json", "--hgrm", "--trace",
            "--trace-limit", "--plot", "--jfr", "--progress", "--no-progress", "--quiet", "-q", "--help", "-h");

    private Replay() {
    }

    /**
     * The spec of the report at {@code file}. Fails with a one-line usage error when a scenario or
     * an option that changes the run is given too, or when the file is not a report to replay.
     */
    static RunSpec load(CommandLine cl, Path file, String scenario, java.util.List<String> scenarioArgs,
                        boolean captureTrace, int traceLimit,
                        boolean progress) {
        if (scenario != null) {
            throw new CommandLine.ParameterException(cl, "option '--replay' takes no scenario (the report names it), got '"
                    + scenario + "'");
        }
        if (!scenarioArgs.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "option '--replay' runs the report's scenario options; '"
                    + scenarioArgs.getFirst() + "' would change the run");
        }
        for (CommandLine.Model.OptionSpec o : cl.getParseResult().matchedOptions()) {
            if (!OUTPUT_OPTIONS.contains(o.longestName())) {
                throw new CommandLine.ParameterException(cl, "option '--replay' runs the report's options; '"
                        + o.longestName() + "' would change the run");
            }
        }
        Object root;
        try {
            root = Json.read(file);
        } catch (IOException e) {
            throw new CommandLine.ParameterException(cl, "option '--replay': cannot read " + file + ": "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        RunSpec recorded;
        try {
            recorded = RunSpecCodec.fromJson(Json.at(root, "run"));
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new CommandLine.ParameterException(cl, "option '--replay': " + file + ": " + e.getMessage());
        }
        return new RunSpec(recorded.scenario(), recorded.cpus(), recorded.ops(), recorded.seconds(), recorded.seed(),
                recorded.strategy(), recorded.pin(), recorded.slackCycles(), recorded.costModel(),
                recorded.scenarioOptions(), captureTrace, traceLimit, progress, recorded.accounting(),
                recorded.kernelConfig(), recorded.failedCpus(), RunSpec.DEFAULT_STALL_CYCLES,
                l4smp.emulator.MachineConfig.DEFAULT_PCT_DEPTH, l4smp.emulator.MachineConfig.DEFAULT_PCT_STEPS, 0,
                recorded.timing());
    }
}
