package l4smp.bench.cli;

import l4smp.bench.report.HgrmWriter;
import l4smp.bench.report.JsonReport;
import l4smp.bench.report.Plots;
import l4smp.bench.report.RunReport;
import l4smp.bench.report.TextReport;
import l4smp.bench.report.TraceWriter;
import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.emulator.cost.CostModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code l4smp run SCENARIO [options] [scenario options]}: runs one scenario and prints its
 * report; optionally writes JSON, {@code .hgrm} files and a trace. The scenario's own options
 * ({@code --name value}, listed by {@code l4smp run SCENARIO --help}) follow the scenario's name
 * and are checked by the scenario's option specs.
 */
@Command(name = "run", sortOptions = false,
        customSynopsis = {"l4smp run SCENARIO [--cpus=N] [--ops=N] [--seconds=S] [--seed=N] [--strategy=S] [--pct-depth=D]",
                "          [--pct-steps=K] [--max-steps=N] [--plant=NAME] [--pin=on|off]",
                "          [--slack=CYCLES|unbounded] [--timing=exact|lax] [--preset=P] [--fail-cpu=N[,N...]] [--stall=CYCLES|off]",
                "          [--accounting=on|off] [--tcb-layout=grouped|naive] [--tick-us=U] [--timeslice-ticks=N]",
                "          [--abi=thesis|x2]",
                "          [--json=FILE] [--hgrm=DIR] [--trace=FILE] [--trace-limit=N] [--plot=DIR] [--jfr=FILE]",
                "          [--[no-]progress] [-q]",
                "          [--SCENARIO-OPTION VALUE ...]",
                "l4smp run --replay REPORT.json [--json=FILE] [--hgrm=DIR] [--trace=FILE] [--plot=DIR] ...",
                "l4smp run SCENARIO --help"},
        description = "Run a scenario and print its report (latency percentiles, throughput, per-CPU counters).",
        footer = {"", "Scenario options (--name value) follow the scenario's name; 'l4smp run SCENARIO --help' "
                + "lists them.",
                "Exit codes: 0 ok; 1 the run failed or stalled (report printed); 2 bad command line; 3 degraded (it ran, "
                        + "but could not do its operations, e.g. no AP came up); 130 or 143 interrupted by SIGINT or "
                        + "SIGTERM (report and files written); 1 an output file could not be written."})
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SCENARIO", description = "The scenario ('l4smp list').")
    String scenario;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "SCENARIO-OPTIONS", hidden = true)
    List<String> scenarioArgs = new ArrayList<>();

    @Option(names = "--cpus", paramLabel = "N", description = "Simulated CPUs, 1..64 (default: the scenario's).")
    Integer cpus;

    @Option(names = "--ops", paramLabel = "N",
            description = "Operations to perform (default ${DEFAULT-VALUE}); with --seconds an upper bound.",
            defaultValue = "" + RunSpec.DEFAULT_OPS)
    long ops;

    @Option(names = "--seconds", paramLabel = "S", description = "Host-time budget in seconds.")
    Double seconds;

    @Option(names = "--seed", paramLabel = "N",
            description = "Deterministic mode with this seed (one host thread steps every CPU; same seed, same run). "
                    + "Absent: parallel mode (a host thread per CPU).")
    Long seed;

    @Option(names = "--strategy", paramLabel = "lowest-clock|random|pct",
            description = "The deterministic stepper's choice of the next CPU (needs --seed; default lowest-clock).")
    String strategy;

    @Option(names = "--pct-depth", paramLabel = "D",
            description = "With --strategy pct: the bug depth d targeted, d - 1 priority change points per run "
                    + "(default " + MachineConfig.DEFAULT_PCT_DEPTH + ").")
    Integer pctDepth;

    @Option(names = "--pct-steps", paramLabel = "K",
            description = "With --strategy pct: the estimate k of a run's steps; change points are drawn from 1..k "
                    + "(default " + MachineConfig.DEFAULT_PCT_STEPS + "; 'l4smp hunt' measures it).")
    Long pctSteps;

    @Option(names = "--max-steps", paramLabel = "N",
            description = "With --seed: fail the run as a stall after N stepper steps (a livelock bound; default none).")
    Long maxSteps;

    @Option(names = "--plant", paramLabel = "NAME",
            description = "Tests and hunts only: re-open a race of the thesis on purpose (lost-wakeup, migrate-sender, "
                    + "migrate-receiver, migrate-queued, abort-nested-fault, shootdown-lint); the report names it.")
    String plant;

    @Option(names = "--pin", paramLabel = "on|off", defaultValue = "on",
            description = "Pin simulated CPU i to host core i mod H in parallel mode (default ${DEFAULT-VALUE}).")
    String pin;

    @Option(names = "--slack", paramLabel = "CYCLES|unbounded", defaultValue = "10000",
            description = "How far a CPU may run ahead of the slowest one, in cycles (0 = lock-step; "
                    + "default ${DEFAULT-VALUE}).")
    String slack;

    @Option(names = "--timing", paramLabel = "exact|lax", defaultValue = "exact",
            description = "Parallel mode: exact keeps every interaction between CPUs in simulated-time order "
                    + "(the same simulated figures as a seeded run); lax lets CPUs act in host order within the "
                    + "slack and counts each interaction out of order (default ${DEFAULT-VALUE}).")
    String timing;

    @Option(names = "--preset", paramLabel = "PIII_450|P4", defaultValue = "PIII_450",
            description = "Cost-model preset (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--accounting", paramLabel = "on|off",
            description = "Charge memory accesses through the MESI/TLB accounting layer (default: on, at every CPU count "
                    + "up to 64).")
    String accounting;

    @Option(names = "--fail-cpu", paramLabel = "N[,N...]",
            description = "Fault injection (thesis 8.2): physical CPU N never answers its startup IPI; the boot "
                    + "masks it out and compacts the processor numbers. Repeatable or a comma list; CPU 0, the "
                    + "bootstrap processor, cannot fail.")
    List<String> failCpus;

    @Option(names = "--stall", paramLabel = "CYCLES|off", defaultValue = "" + RunSpec.DEFAULT_STALL_CYCLES,
            description = "Stall watchdog: a run in which no operation completes and no thread ends for this many "
                    + "simulated cycles stops with outcome 'stalled' and names what each CPU's threads wait for "
                    + "(exit code 1; default ${DEFAULT-VALUE}; 'off' for none).")
    String stall;

    @Option(names = "--tcb-layout", paramLabel = "grouped|naive", defaultValue = "grouped",
            description = "Where the kernel puts TCB fields in simulated memory: the grouped lines of thesis 8.6 or a naive order (default ${DEFAULT-VALUE}).")
    String tcbLayout;

    @Option(names = "--abi", paramLabel = "thesis|x2", defaultValue = "thesis",
            description = "The system-call ABI users see: the thesis's (section 7.2: processors 1..k, send-tag bit 12 "
                    + "aborts a cross-processor IPC, received-tag bit 11 says it crossed) or X.2's as Pistachio "
                    + "implements it (processors 0..k-1, the X bit, bit 14, marks and requests the crossing; "
                    + "default ${DEFAULT-VALUE}).")
    String abi;

    @Option(names = "--tick-us", paramLabel = "MICROS", defaultValue = "1000",
            description = "The kernel's timer tick, in simulated microseconds (default ${DEFAULT-VALUE}).")
    double tickMicros;

    @Option(names = "--timeslice-ticks", paramLabel = "N", defaultValue = "10",
            description = "A thread's timeslice, in ticks (default ${DEFAULT-VALUE}).")
    int timesliceTicks;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the report as JSON to FILE.")
    Path json;

    @Option(names = "--hgrm", paramLabel = "DIR",
            description = "Write HdrHistogram percentile distributions (.hgrm, cycles and ns) into DIR.")
    Path hgrm;

    @Option(names = "--trace", paramLabel = "FILE",
            description = "Capture the event trace and write it to FILE: Chrome/Perfetto JSON if FILE ends in .json, "
                    + "a text dump if it ends in .txt.")
    Path trace;

    @Option(names = "--trace-limit", paramLabel = "N", defaultValue = "1000000",
            description = "The most events --trace captures (default ${DEFAULT-VALUE}; later ones are only hashed).")
    int traceLimit;

    @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Show progress on stderr: on a terminal a bar (ops done, %, rate, ETA), else a line every "
                    + "second after the first two (default on).")
    boolean progress;

    @Option(names = "--replay", paramLabel = "REPORT.json",
            description = "Run again exactly the run a JSON report (--json) describes: its scenario, its options and "
                    + "the scenario's, its seed. Takes no scenario and no option that changes the run; output options "
                    + "(--json, --hgrm, --trace, --plot, --progress, --quiet) apply.")
    Path replay;

    @Option(names = "--plot", paramLabel = "DIR",
            description = "Draw PNG plots of the run into DIR: latency percentiles (cycles and host ns), per-CPU time (user, kernel, idle), "
                    + "counters per operation.")
    Path plot;

    @Option(names = "--jfr", paramLabel = "FILE",
            description = "Record the run with JDK Flight Recorder into FILE: the host's profile and the run's IPC, "
                    + "cross-processor IPC, IPI, TLB shootdown, page fault and migration events with their simulated "
                    + "CPU and cycles (open in JDK Mission Control).")
    Path jfr;

    @Option(names = {"-q", "--quiet"}, description = "Print no progress (the same as --no-progress).")
    boolean quiet;

    @Option(names = {"-h", "--help"}, description = "Show this help (with a scenario: also its own options).")
    boolean help;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        PrintWriter out = cl.getOut();
        PrintWriter err = cl.getErr();
        Scenarios scenarios = Scenarios.load();
        Scenario s = null;
        RunSpec replaySpec = null;
        if (replay != null && !help) {
            replaySpec = Replay.load(cl, replay, scenario, scenarioArgs, trace != null, traceLimit, progress && !quiet);
            scenario = replaySpec.scenario();
        }
        if (scenario != null) {
            if (scenario.startsWith("-")) {
                throw new CommandLine.ParameterException(cl, "unknown option '" + scenario + "'");
            }
            s = scenarios.find(scenario);
            if (s == null) {
                throw new CommandLine.ParameterException(cl, "unknown scenario '" + scenario + "' (known: "
                        + String.join(", ", scenarios.all().stream().map(Scenario::name).toList()) + ")");
            }
        }
        if (help) {
            cl.usage(out);
            if (s != null) {
                out.println();
                out.println("Options of scenario " + s.name() + " (" + s.description() + "):");
                ListCommand.printOptions(out, s, "  ");
                out.println("  CPUs: default " + s.defaultCpus() + ", at least " + s.minCpus());
            } else {
                out.println();
                out.println("Scenarios: " + String.join(", ", scenarios.all().stream().map(Scenario::name).toList()));
            }
            out.flush();
            return 0;
        }
        if (s == null) {
            throw new CommandLine.ParameterException(cl, "missing the scenario to run (known: "
                    + String.join(", ", scenarios.all().stream().map(Scenario::name).toList()) + ")");
        }
        RunSpec runSpec = replaySpec != null ? replaySpec : buildSpec(cl, s);
        ProgressDisplay progressDisplay = new ProgressDisplay(err, ProgressDisplay.stderrIsTerminal());
        ScenarioRunner runner = new ScenarioRunner(scenarios, progressDisplay, progressDisplay.delayMs());
        RunReport report;
        String signal;
        l4smp.bench.jfr.FlightRecording recording = startRecording(err);
        try (SignalStop stop = SignalStop.install(runner, err)) {
            try {
                report = runner.run(runSpec, recording == null ? null : recording.listener());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, e.getMessage(), e);
            } finally {
                if (recording != null) {
                    recording.close();
                }
            }
            signal = stop.signalVolatile();
        }
        TextReport.lines(report).forEach(out::println);
        out.flush();
        boolean written;
        try {
            written = writeOutputs(report, cl.getParseResult().originalArgs(), recording != null, out, err);
        } finally {
            closeTraceSpool(report, err);
        }
        out.flush();
        return exitCode(s, report, signal, written, err);
    }

    /**
     * Writes every requested output file, each on its own: a file that cannot be written is
     * reported on stderr, and the others are still written. Returns whether all were.
     */
    private boolean writeOutputs(RunReport report, List<String> args, boolean recorded, PrintWriter out,
                                 PrintWriter err) {
        boolean all = true;
        if (json != null) {
            try {
                JsonReport.write(report, json, args);
                out.println("json: " + json);
            } catch (IOException | RuntimeException e) {
                all = cannotWrite(err, "--json", json, e);
            }
        }
        if (hgrm != null) {
            try {
                List<Path> files = HgrmWriter.write(report, hgrm);
                out.println("hgrm: " + files.size() + " files in " + hgrm);
            } catch (IOException | RuntimeException e) {
                all = cannotWrite(err, "--hgrm", hgrm, e);
            }
        }
        if (trace != null) {
            try {
                long n = TraceWriter.write(report, trace);
                out.println("trace: " + n + " events to " + trace
                        + (n < report.traceEvents() ? " (truncated at --trace-limit " + traceLimit + " of "
                        + report.traceEvents() + ")" : ""));
            } catch (IOException | RuntimeException e) {
                all = cannotWrite(err, "--trace", trace, e);
            }
        }
        if (jfr != null && recorded) {
            out.println("jfr: " + jfr);
        }
        if (plot != null) {
            try {
                List<Path> files = Plots.writeRun(JsonReport.toTree(report, args), plot);
                out.println("plots: " + files.size() + " PNG files in " + plot);
            } catch (IOException | RuntimeException e) {
                all = cannotWrite(err, "--plot", plot, e);
            }
        }
        return all;
    }

    private static boolean cannotWrite(PrintWriter err, String option, Path path, Exception e) {
        err.println("l4smp run: option '" + option + "': cannot write " + path + ": "
                + (e.getMessage() == null ? e.toString() : e.getMessage()));
        err.flush();
        return false;
    }

    /** The exit code of a finished run (see the footer of the help, and README's table). */
    private static int exitCode(Scenario s, RunReport report, String signal, boolean written, PrintWriter err) {
        String outcome = report.outcomeName();
        int code;
        switch (outcome) {
            case "interrupted" -> {
                err.println("l4smp run: the run of " + s.name() + " was interrupted by "
                        + (signal != null ? signal : "an interrupt of its host thread")
                        + "; the report above covers what ran");
                code = "SIGTERM".equals(signal) ? EXIT_SIGTERM : EXIT_SIGINT;
            }
            case "stalled" -> {
                err.println("l4smp run: the run of " + s.name() + " stalled: "
                        + (report.outcome().failure() != null ? report.outcome().failure() : report.outcome().stopReason()));
                code = L4smpCommand.EXIT_FAILED;
            }
            case "failed" -> {
                err.println("l4smp run: the run of " + s.name() + " failed: " + (report.outcome().failure() != null
                        ? report.outcome().failure() : report.kernelFailures().size() + " user thread(s) threw"));
                code = L4smpCommand.EXIT_FAILED;
            }
            case "degraded" -> {
                err.println("l4smp run: the run of " + s.name() + " is degraded: "
                        + report.results().get(RunReport.RESULT_DEGRADED));
                code = L4smpCommand.EXIT_DEGRADED;
            }
            default -> code = 0;
        }
        err.flush();
        if (!written && (code == 0 || code == L4smpCommand.EXIT_DEGRADED)) {
            return L4smpCommand.EXIT_FAILED;
        }
        return code;
    }

    /** Exit code of a run interrupted by SIGINT (128 + 2, the shell's convention). */
    static final int EXIT_SIGINT = 130;
    /** Exit code of a run stopped by SIGTERM (128 + 15). */
    static final int EXIT_SIGTERM = 143;

    /** The flight recording of {@code --jfr}, started; {@code null} without the option or when JFR cannot start. */
    private l4smp.bench.jfr.FlightRecording startRecording(PrintWriter err) {
        if (jfr == null) {
            return null;
        }
        try {
            return l4smp.bench.jfr.FlightRecording.start(jfr);
        } catch (IOException | IllegalStateException | SecurityException e) {
            err.println("l4smp run: cannot start the flight recording (--jfr " + jfr + "): " + e.getMessage());
            err.flush();
            return null;
        }
    }

    /** Deletes the temporary files the trace was streamed to during the run. */
    private static void closeTraceSpool(RunReport report, PrintWriter err) {
        if (report.traceSpool() != null) {
            try {
                report.traceSpool().close();
            } catch (IOException e) {
                err.println("l4smp run: cannot delete the trace's temporary files: " + e.getMessage());
            }
        }
    }

    /** The run's spec from the parsed options (also used by {@code hunt} for each of its runs). */
    RunSpec buildSpec(CommandLine cl, Scenario s) {
        if (cpus != null && (cpus < 1 || cpus > MachineConfig.MAX_CPUS)) {
            throw new CommandLine.ParameterException(cl, "option '--cpus' must be 1.." + MachineConfig.MAX_CPUS
                    + ", got " + cpus);
        }
        if (cpus != null && cpus < s.minCpus()) {
            throw new CommandLine.ParameterException(cl, "option '--cpus': scenario " + s.name() + " needs at least "
                    + s.minCpus() + " CPUs, got " + cpus);
        }
        boolean opsGiven = cl.getParseResult().hasMatchedOption("--ops");
        if (ops < 1) {
            throw new CommandLine.ParameterException(cl, "option '--ops' must be at least 1, got " + ops);
        }
        Duration budget = null;
        if (seconds != null) {
            if (!(seconds > 0) || seconds.isInfinite()) {
                throw new CommandLine.ParameterException(cl, "option '--seconds' must be a positive number, got "
                        + seconds);
            }
            budget = Duration.ofNanos(Math.max(1, Math.round(seconds * 1e9)));
        }
        long runOps = budget != null && !opsGiven ? Long.MAX_VALUE : ops;
        ScheduleStrategy strat = ScheduleStrategy.LOWEST_CLOCK;
        if (strategy != null) {
            if (seed == null) {
                throw new CommandLine.ParameterException(cl,
                        "option '--strategy' applies to the deterministic mode only: give --seed N too");
            }
            try {
                strat = ScheduleStrategy.parse(strategy);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "option '--strategy': " + e.getMessage());
            }
        }
        if ((pctDepth != null || pctSteps != null) && strat != ScheduleStrategy.PCT) {
            throw new CommandLine.ParameterException(cl, "option '" + (pctDepth != null ? "--pct-depth" : "--pct-steps")
                    + "' applies to --strategy pct only");
        }
        if (pctDepth != null && (pctDepth < 1 || pctDepth > MachineConfig.MAX_PCT_DEPTH)) {
            throw new CommandLine.ParameterException(cl, "option '--pct-depth' must be 1.." + MachineConfig.MAX_PCT_DEPTH
                    + ", got " + pctDepth);
        }
        if (pctSteps != null && pctSteps < 1) {
            throw new CommandLine.ParameterException(cl, "option '--pct-steps' must be at least 1, got " + pctSteps);
        }
        if (maxSteps != null && (seed == null || maxSteps < 1)) {
            throw new CommandLine.ParameterException(cl, seed == null
                    ? "option '--max-steps' applies to the deterministic mode only: give --seed N too"
                    : "option '--max-steps' must be at least 1, got " + maxSteps);
        }
        l4smp.kernel.Plant planted = l4smp.kernel.Plant.NONE;
        if (plant != null) {
            try {
                planted = l4smp.kernel.Plant.parse(plant);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "option '--plant': " + e.getMessage());
            }
            if (planted == l4smp.kernel.Plant.NONE) {
                throw new CommandLine.ParameterException(cl, "option '--plant': name a race to plant (leave the option "
                        + "out for none)");
            }
        }
        boolean pinOn = switch (pin.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw new CommandLine.ParameterException(cl, "option '--pin' must be on or off, got '" + pin + "'");
        };
        long slackCycles;
        if (slack.equalsIgnoreCase("unbounded")) {
            slackCycles = MachineConfig.UNBOUNDED_SLACK;
        } else {
            try {
                slackCycles = Long.parseLong(slack.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new CommandLine.ParameterException(cl, "option '--slack' must be a number of cycles or "
                        + "'unbounded', got '" + slack + "'");
            }
            if (slackCycles < 0) {
                throw new CommandLine.ParameterException(cl, "option '--slack' must be >= 0 cycles, got " + slackCycles);
            }
        }
        l4smp.emulator.TimingMode timingMode;
        try {
            timingMode = l4smp.emulator.TimingMode.parse(timing.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "option '--timing' must be exact or lax, got '" + timing + "'");
        }
        CostModel cost;
        try {
            cost = CostModel.preset(preset);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "option '--preset': " + e.getMessage());
        }
        if (traceLimit < 1) {
            throw new CommandLine.ParameterException(cl, "option '--trace-limit' must be at least 1, got " + traceLimit);
        }
        Boolean accountingOn = null;
        if (accounting != null) {
            accountingOn = switch (accounting.toLowerCase(Locale.ROOT)) {
                case "on" -> Boolean.TRUE;
                case "off" -> Boolean.FALSE;
                default -> throw new CommandLine.ParameterException(cl, "option '--accounting' must be on or off, got '"
                        + accounting + "'");
            };
        }
        checkTick(cl, cost);
        long stallCycles = parseStall(cl);
        if (seed != null && seconds != null) {
            throw new CommandLine.ParameterException(cl, "option '--seconds' is a host-time budget, which a seeded run "
                    + "cannot replay (the same seed would stop at a different point): give --ops instead, or drop --seed");
        }
        l4smp.kernel.ipc.Abi kernelAbi;
        try {
            kernelAbi = l4smp.kernel.ipc.Abi.parse(abi);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "option '--abi': " + e.getMessage());
        }
        l4smp.kernel.KernelConfig kernelConfig;
        try {
            kernelConfig = new l4smp.kernel.KernelConfig(tickMicros, timesliceTicks,
                    l4smp.kernel.KernelConfig.DEFAULT.fpuSwitchCycles(), l4smp.kernel.thread.TcbLayout.parse(tcbLayout))
                    .withPlant(planted).withAbi(kernelAbi);
        } catch (IllegalArgumentException e) {
            String option = e.getMessage().contains("layout") ? "--tcb-layout"
                    : e.getMessage().contains("timeslice") ? "--timeslice-ticks" : "--tick-us";
            throw new CommandLine.ParameterException(cl, "option '" + option + "': " + e.getMessage());
        }
        Map<String, String> given = parseScenarioArgs(cl, s);
        long failedMask = parseFailedCpus(cl);
        checkOutputs(cl); // last: it may create the output directories
        return RunSpec.builder(s.name())
                .failedCpus(failedMask)
                .accounting(accountingOn)
                .kernelConfig(kernelConfig)
                .cpus(cpus == null ? 0 : cpus)
                .ops(runOps)
                .seconds(budget)
                .seed(seed)
                .strategy(strat)
                .pctDepth(pctDepth == null ? MachineConfig.DEFAULT_PCT_DEPTH : pctDepth)
                .pctSteps(pctSteps == null ? MachineConfig.DEFAULT_PCT_STEPS : pctSteps)
                .maxSteps(maxSteps == null ? 0 : maxSteps)
                .pin(pinOn)
                .slackCycles(slackCycles)
                .timing(timingMode)
                .costModel(cost)
                .scenarioOptions(given)
                .captureTrace(trace != null)
                .maxTraceEvents(traceLimit)
                .progress(progress && !quiet)
                .stallCycles(stallCycles)
                .build();
    }

    /**
     * {@code --tick-us} and {@code --timeslice-ticks}, each named in its own error: a tick must be
     * at least one cycle of the cost model's clock, a timeslice at least one tick.
     */
    private void checkTick(CommandLine cl, CostModel cost) {
        if (!(tickMicros > 0) || Double.isInfinite(tickMicros)) {
            throw new CommandLine.ParameterException(cl, "option '--tick-us' must be a positive number of microseconds, got "
                    + tickMicros);
        }
        double cycleMicros = 1.0 / cost.clockMhz();
        if (tickMicros * cost.clockMhz() < 1) {
            throw new CommandLine.ParameterException(cl, String.format(Locale.ROOT, "option '--tick-us': a tick of %s us "
                    + "is shorter than one cycle of the %s's %d MHz clock (%.6f us)", tickMicros, cost.name(),
                    cost.clockMhz(), cycleMicros));
        }
        if (timesliceTicks < 1) {
            throw new CommandLine.ParameterException(cl, "option '--timeslice-ticks' must be at least 1 tick, got "
                    + timesliceTicks);
        }
    }

    /** {@code --stall CYCLES|off}: the stall watchdog's limit, {@link RunSpec#NO_STALL_LIMIT} for off. */
    private long parseStall(CommandLine cl) {
        if (stall.equalsIgnoreCase("off")) {
            return RunSpec.NO_STALL_LIMIT;
        }
        long cycles;
        try {
            cycles = Long.parseLong(stall.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(cl, "option '--stall' must be a number of cycles or 'off', got '"
                    + stall + "'");
        }
        if (cycles < 1) {
            throw new CommandLine.ParameterException(cl, "option '--stall' must be at least 1 cycle (or 'off'), got "
                    + cycles);
        }
        return cycles;
    }

    /**
     * The output paths, checked before the run so that no run's results are lost to a bad name:
     * {@code --json} and {@code --trace} must name a file (not empty, not a directory) that can
     * be written, {@code --trace} must end in .json or .txt, and {@code --hgrm} must name a
     * directory (not an existing file). A missing parent directory (of {@code --hgrm}: the
     * directory itself) is created; one that cannot be is an error naming the option.
     */
    private void checkOutputs(CommandLine cl) {
        if (trace != null) {
            String name = trace.getFileName() == null ? "" : trace.getFileName().toString();
            if (!name.isEmpty() && !name.endsWith(".json") && !name.endsWith(".txt")) {
                throw new CommandLine.ParameterException(cl, "option '--trace': '" + trace + "' must end in .json "
                        + "(Chrome/Perfetto JSON) or .txt (a text dump)");
            }
        }
        ReportFiles.checkOutputFile(cl, "--json", json);
        ReportFiles.checkOutputFile(cl, "--trace", trace);
        ReportFiles.checkOutputFile(cl, "--jfr", jfr);
        ReportFiles.checkOutputDirectory(cl, "--hgrm", hgrm);
        ReportFiles.checkOutputDirectory(cl, "--plot", plot);
    }

    /**
     * The mask of {@code --fail-cpu} (repeatable, or a comma list). The range against the
     * machine's CPUs is checked when the machine is built (the scenario's default CPUs count).
     */
    private long parseFailedCpus(CommandLine cl) {
        long mask = 0;
        if (failCpus == null) {
            return 0;
        }
        for (String list : failCpus) {
            for (String item : list.split(",", -1)) {
                String t = item.trim();
                int n;
                try {
                    n = Integer.parseInt(t);
                } catch (NumberFormatException e) {
                    throw new CommandLine.ParameterException(cl, "option '--fail-cpu' must be CPU numbers (N or N,M,...), got '"
                            + list + "'");
                }
                if (n == 0) {
                    throw new CommandLine.ParameterException(cl, "option '--fail-cpu': CPU 0 is the bootstrap processor and "
                            + "runs the boot; it cannot fail");
                }
                if (n < 0 || n >= MachineConfig.MAX_CPUS) {
                    throw new CommandLine.ParameterException(cl, "option '--fail-cpu' must be 1.." + (MachineConfig.MAX_CPUS - 1)
                            + ", got " + n);
                }
                mask |= 1L << n;
            }
        }
        return mask;
    }

    /** Reads the scenario's own {@code --name value} / {@code --name=value} pairs. */
    private Map<String, String> parseScenarioArgs(CommandLine cl, Scenario s) {
        Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < scenarioArgs.size(); i++) {
            String arg = scenarioArgs.get(i);
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new CommandLine.ParameterException(cl, "unexpected argument '" + arg + "' (scenario " + s.name()
                        + " takes its options as --name value)");
            }
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else {
                OptionSpec os = s.options().stream().filter(o -> o.name().equals(arg.substring(2))).findFirst()
                        .orElse(null);
                if (os == null) {
                    throw new CommandLine.ParameterException(cl, "unknown option '" + arg + "' for scenario " + s.name()
                            + (s.options().isEmpty() ? " (it has no options of its own)"
                            : " (its options: " + String.join(", ", s.options().stream().map(o -> "--" + o.name())
                            .toList()) + ")"));
                }
                boolean hasValue = i + 1 < scenarioArgs.size() && !scenarioArgs.get(i + 1).startsWith("--");
                if (os.type() == OptionSpec.Type.BOOLEAN && !hasValue) {
                    value = "true";
                } else if (!hasValue) {
                    throw new CommandLine.ParameterException(cl, "option '" + arg + "' needs a value");
                } else {
                    value = scenarioArgs.get(++i);
                }
            }
            if (given.put(name, value) != null) {
                throw new CommandLine.ParameterException(cl, "option '--" + name + "' given twice");
            }
        }
        return given;
    }
}
