package l4smp.bench.cli;

import l4smp.bench.hunt.HuntResult;
import l4smp.bench.hunt.Hunter;
import l4smp.bench.hunt.PlantScenarios;
import l4smp.bench.hunt.RunLine;
import l4smp.bench.hunt.SeedShard;
import l4smp.bench.report.JsonReport;
import l4smp.bench.report.RunReport;
import l4smp.bench.report.TextReport;
import l4smp.bench.report.TraceWriter;
import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.bench.scenario.Scenario;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.Plant;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code l4smp hunt [SCENARIO] [run options] --seeds N ...}: runs a scenario seeded, seed after
 * seed on several host threads, stops at the first failing run, prints its seed and the line
 * that replays it, writes its trace (the failure point marked) and report, and shrinks it.
 * {@code l4smp hunt --merge A.json B.json ...} combines the results of a sharded hunt.
 */
@Command(name = "hunt", sortOptions = false,
        customSynopsis = {"l4smp hunt [SCENARIO] [run options] --seeds=N [--from=S] [--strategy=random|pct] [--pct-depth=D]",
                "           [--pct-steps=K] [--plant=NAME] [--plant-scenario=NAME] [--jobs=J] [--shard=I/N] [--json=FILE] [--out=DIR]",
                "           [--shrink-runs=N] [--run-timeout=S]",
                "l4smp hunt --merge A.json B.json ... [--json=FILE]"},
        description = "Search seeded schedules of a scenario for a failing run (a broken invariant, a lost or "
                + "duplicated message, a deadlock or stall, an exception out of the kernel, the scenario's check); "
                + "replay and shrink the first one found.",
        footer = {"", "Run options (--cpus, --ops, --slack, scenario options, ...) are those of 'l4smp run'; the hunt "
                + "sets --seed and --strategy itself.",
                "With --plant NAME and no scenario, the plant's own small scenario is hunted.",
                "Exit codes: 0 no failure, 1 a failure found, 2 bad command line."})
final class HuntCommand implements Callable<Integer> {

    /** The step bound of the probe run. */
    static final long PROBE_MAX_STEPS = 50_000_000;
    /** A hunt's runs may take this many times the probe's steps before they fail as a stall. */
    static final long STEP_BOUND_FACTOR = 20;
    /** The least step bound of a hunt's runs. */
    static final long MIN_MAX_STEPS = 1_000_000;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "SCENARIO [run options]", hidden = true)
    List<String> positional = new ArrayList<>();

    @Option(names = "--seeds", paramLabel = "N", description = "Seeds to run (all shards together).")
    Long seeds;

    @Option(names = "--from", paramLabel = "S", defaultValue = "1", description = "The first seed (default ${DEFAULT-VALUE}).")
    long from;

    @Option(names = "--strategy", paramLabel = "random|pct", defaultValue = "pct",
            description = "The stepper's strategy (default ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--pct-depth", paramLabel = "D", description = "PCT: the bug depth d (d - 1 change points; default "
            + MachineConfig.DEFAULT_PCT_DEPTH + ").")
    Integer pctDepth;

    @Option(names = "--pct-steps", paramLabel = "K",
            description = "PCT: the step estimate k (default: the steps of seed --from, measured first).")
    Long pctSteps;

    @Option(names = "--plant", paramLabel = "NAME", description = "Hunt with this race re-opened (tests and hunts only).")
    String plant;

    @Option(names = "--plant-scenario", paramLabel = "NAME",
            description = "Hunt the small scenario of plant NAME on the kernel as designed (the control of a plant).")
    String plantScenario;

    @Option(names = "--jobs", paramLabel = "J", description = "Host threads (default: the host's cores).")
    Integer jobs;

    @Option(names = "--shard", paramLabel = "I/N", description = "Run every N-th seed starting with the I-th (0-based).")
    String shard;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the result as JSON.")
    Path json;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "hunt-out",
            description = "Where the failing run's trace and report go (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--shrink-runs", paramLabel = "N", defaultValue = "60",
            description = "Runs the shrinker may spend (0: no shrinking; default ${DEFAULT-VALUE}).")
    int shrinkRuns;

    @Option(names = "--run-timeout", paramLabel = "S", defaultValue = "120",
            description = "Host seconds after which a run that has not returned counts as a hang (default ${DEFAULT-VALUE}).")
    long runTimeout;

    @Option(names = "--merge", arity = "1..*", paramLabel = "FILE", description = "Merge the JSON results of shards.")
    List<Path> merge;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        PrintWriter o = cl.getOut();
        PrintWriter err = cl.getErr();
        if (merge != null) {
            return merge(cl, o);
        }
        if (seeds == null) {
            throw new CommandLine.ParameterException(cl, "missing --seeds N (how many seeds to run)");
        }
        SeedShard range;
        try {
            range = shard == null ? SeedShard.whole(from, seeds) : SeedShard.parse(from, seeds, shard);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        int threads = jobs == null ? Runtime.getRuntime().availableProcessors() : jobs;
        if (threads < 1) {
            throw new CommandLine.ParameterException(cl, "option '--jobs' must be at least 1, got " + threads);
        }
        if (runTimeout < 1) {
            throw new CommandLine.ParameterException(cl, "option '--run-timeout' must be at least 1 s, got " + runTimeout);
        }
        if (shrinkRuns < 0) {
            throw new CommandLine.ParameterException(cl, "option '--shrink-runs' must be >= 0, got " + shrinkRuns);
        }
        String strat = strategy.toLowerCase(Locale.ROOT);
        if (!strat.equals("random") && !strat.equals("pct")) {
            throw new CommandLine.ParameterException(cl, "option '--strategy' must be random or pct, got '" + strategy + "'");
        }
        if ((pctDepth != null || pctSteps != null) && !strat.equals("pct")) {
            throw new CommandLine.ParameterException(cl, "options '--pct-depth' and '--pct-steps' apply to --strategy pct only");
        }
        Plant planted = Plant.NONE;
        if (plant != null) {
            try {
                planted = Plant.parse(plant);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "option '--plant': " + e.getMessage());
            }
        }
        Plant control = Plant.NONE;
        if (plantScenario != null) {
            try {
                control = Plant.parse(plantScenario);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "option '--plant-scenario': " + e.getMessage());
            }
            if (planted != Plant.NONE && planted != control) {
                throw new CommandLine.ParameterException(cl, "options '--plant' and '--plant-scenario' name different races");
            }
        }
        Scenarios scenarios = Scenarios.load();
        RunLine base = baseLine(cl, planted != Plant.NONE ? planted : control, scenarios);
        base = base.with("--strategy", strat);
        if (planted != Plant.NONE) {
            base = base.with("--plant", planted.cliName());
        }
        if (strat.equals("pct")) {
            base = base.with("--pct-depth", Integer.toString(pctDepth == null ? MachineConfig.DEFAULT_PCT_DEPTH : pctDepth));
        }
        Scenario scenario = scenarios.require(base.scenario());
        ScenarioRunner runner = new ScenarioRunner(scenarios, null);
        Hunter.LineRunner lines = line -> runner.run(specOf(line, scenarios));
        // Bad input fails here, before any work: the first seed's line must parse and set up
        // (the scenario's own checks run at setup).
        try {
            RunLine first = base.with("--seed", Long.toString(from));
            runner.validate(specOf(strat.equals("pct") ? first.with("--pct-steps", "1") : first, scenarios));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        // One probe run, on the kernel as designed, seed --from, PCT without change points: its
        // steps are PCT's k and bound every run of the hunt (20 times as many steps fail as a
        // stall: a planted race may leave a run spinning forever).
        RunReport probe = lines.run(base.without("--plant").with("--seed", Long.toString(from))
                .with("--strategy", "pct").with("--pct-depth", "1").with("--pct-steps", "1")
                .with("--max-steps", Long.toString(PROBE_MAX_STEPS)));
        long measured = probe.results().get("steps") instanceof Number n ? Math.max(1, n.longValue())
                : MachineConfig.DEFAULT_PCT_STEPS;
        err.println("l4smp hunt: a run takes " + measured + " steps (seed " + from + ", unplanted)");
        if (!base.has("--max-steps")) {
            base = base.with("--max-steps", Long.toString(Math.max(MIN_MAX_STEPS, STEP_BOUND_FACTOR * measured)));
        }
        if (strat.equals("pct")) {
            long k = pctSteps != null ? pctSteps : measured;
            if (k < 1) {
                throw new CommandLine.ParameterException(cl, "option '--pct-steps' must be at least 1, got " + k);
            }
            base = base.with("--pct-steps", Long.toString(k));
        }
        String strategyLabel = strat.equals("pct") ? "pct, depth " + base.get("--pct-depth") + ", steps "
                + base.get("--pct-steps") : "random";
        o.println("hunt " + base.scenario() + ": seeds " + from + ".." + (from + seeds - 1)
                + (shard == null ? "" : " shard " + range.label() + " (" + range.size() + " seeds)") + ", " + strategyLabel
                + ", " + threads + " job" + (threads == 1 ? "" : "s")
                + (planted == Plant.NONE ? "" : ", PLANTED RACE: " + planted.cliName() + " (" + planted.race() + ")"));
        o.println("line: " + base.command() + " --seed S");
        o.flush();
        Hunter hunter = new Hunter(lines, threads, line -> {
            err.println("l4smp hunt: " + line);
            err.flush();
        }, runTimeout);
        Hunter.Sweep sweep = hunter.hunt(base, range);
        Hunter.Failure f = sweep.failure();
        String rate = String.format(Locale.ROOT, "%.2f seeds/s", sweep.seconds() > 0 ? sweep.runs() / sweep.seconds() : 0);
        HuntResult result;
        if (f == null) {
            o.println("clean: " + sweep.runs() + " runs, no failure (" + rate + ", "
                    + String.format(Locale.ROOT, "%.1f", sweep.seconds()) + " s)");
            result = new HuntResult(base.scenario(), planted.cliName(), strategyLabel, from, seeds, List.of(range.label()),
                    sweep.runs(), false, null, null, null, null, null, sweep.seconds());
        } else {
            o.println("FOUND at seed " + f.seed() + " after " + sweep.runs() + " runs (" + rate + "): " + f.kind() + ": "
                    + f.message());
            o.println("replay: " + f.line().command());
            o.flush();
            writeArtifacts(o, err, f, scenarios, base.scenario());
            RunLine shrunk = f.line();
            if (shrinkRuns > 0) {
                shrunk = hunter.shrink(f, scenario, RunSpec.DEFAULT_OPS, shrinkRuns);
            }
            o.println("shrunk: " + shrunk.command() + (shrunk.equals(f.line()) ? " (nothing smaller fails the same way)" : ""));
            result = new HuntResult(base.scenario(), planted.cliName(), strategyLabel, from, seeds, List.of(range.label()),
                    sweep.runs(), true, f.seed(), f.kind(), f.message(), f.line().command(), shrunk.command(),
                    sweep.seconds());
        }
        o.flush();
        if (json != null) {
            try {
                writeJson(json, result);
                o.println("json: " + json);
            } catch (IOException e) {
                err.println("l4smp hunt: cannot write " + json + ": " + e);
            }
        }
        o.flush();
        return f == null ? 0 : L4smpCommand.EXIT_FAILED;
    }

    /** The scenario and run options from the positional arguments, or the plant's own scenario. */
    private RunLine baseLine(CommandLine cl, Plant planted, Scenarios scenarios) {
        if (plantScenario != null && !positional.isEmpty() && !positional.get(0).startsWith("-")) {
            throw new CommandLine.ParameterException(cl, "option '--plant-scenario' names the scenario: give no other");
        }
        if (positional.isEmpty() || positional.get(0).startsWith("-")) {
            if (planted == Plant.NONE) {
                throw new CommandLine.ParameterException(cl, positional.isEmpty()
                        ? "missing the scenario to hunt (or --plant NAME for a planted race's own scenario)"
                        : "unknown option '" + positional.get(0) + "'");
            }
            RunLine line = PlantScenarios.of(planted);
            // Options after no scenario refine the plant's line (e.g. --ops 10).
            RunLine extra = parseLine(cl, line.scenario(), positional);
            for (String a : extra.args().subList(1, extra.args().size())) {
                if (a.startsWith("--")) {
                    line = line.with(a, extra.get(a));
                }
            }
            return line;
        }
        String name = positional.get(0);
        if (scenarios.find(name) == null) {
            throw new CommandLine.ParameterException(cl, "unknown scenario '" + name + "' (known: "
                    + String.join(", ", scenarios.all().stream().map(Scenario::name).toList()) + ")");
        }
        return parseLine(cl, name, positional.subList(1, positional.size()));
    }

    private static RunLine parseLine(CommandLine cl, String scenario, List<String> args) {
        RunLine line;
        try {
            line = RunLine.parse(scenario, args);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        for (String own : List.of("--seed", "--strategy", "--plant", "--pct-depth", "--pct-steps", "--json", "--trace",
                "--hgrm", "--seconds")) {
            if (line.has(own)) {
                String why = switch (own) {
                    case "--seconds" -> "is not for hunts: a hunt's runs are deterministic (--max-steps bounds them)";
                    case "--seed" -> "is set by the hunt: give --from S and --seeds N";
                    case "--trace", "--hgrm", "--json" -> "is the hunt's own: the failing run's trace and report go to "
                            + "--out DIR, the hunt's result to --json FILE";
                    default -> "is set by the hunt (as the hunt's own option)";
                };
                throw new CommandLine.ParameterException(cl, "option '" + own + "' " + why);
            }
        }
        return line;
    }

    /** Parses {@code line} as {@code l4smp run} would; bad input is an IllegalArgumentException. */
    static RunSpec specOf(RunLine line, Scenarios scenarios) {
        RunCommand rc = new RunCommand();
        CommandLine cl = new CommandLine(rc);
        cl.setUnmatchedOptionsArePositionalParams(true);
        try {
            cl.parseArgs(line.args().toArray(String[]::new));
            Scenario s = scenarios.require(rc.scenario);
            return rc.buildSpec(cl, s);
        } catch (CommandLine.ParameterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** Re-runs the failing line with its trace captured; writes the trace, the report and its JSON. */
    private void writeArtifacts(PrintWriter o, PrintWriter err, Hunter.Failure f, Scenarios scenarios, String name) {
        try {
            Files.createDirectories(out);
            String stem = name + "-seed" + f.seed();
            Path trace = out.resolve(stem + ".trace.json");
            RunReport r = new ScenarioRunner(scenarios, null).run(specOf(f.line().with("--trace", trace.toString()),
                    scenarios));
            if (r.ok()) {
                err.println("l4smp hunt: the replay with its trace captured passed: not written");
                return;
            }
            long events = TraceWriter.write(r, trace);
            Path text = out.resolve(stem + ".report.txt");
            List<String> lines = new ArrayList<>(TextReport.lines(r));
            lines.add(0, "replay: " + f.line().command());
            Files.write(text, lines, StandardCharsets.UTF_8);
            Path js = out.resolve(stem + ".report.json");
            JsonReport.write(r, js);
            o.println("trace: " + trace + " (" + events + " events; Perfetto, the failure point marked)");
            o.println("report: " + text + ", " + js);
        } catch (IOException | RuntimeException e) {
            err.println("l4smp hunt: cannot write the failing run's trace and report: " + e);
        }
    }

    private static void writeJson(Path file, HuntResult r) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, r.toJson() + "\n", StandardCharsets.UTF_8);
    }

    private int merge(CommandLine cl, PrintWriter o) {
        if (seeds != null || shard != null || plant != null || !positional.isEmpty()) {
            throw new CommandLine.ParameterException(cl, "option '--merge' takes only result files (and --json FILE)");
        }
        List<HuntResult> parts = new ArrayList<>();
        for (Path p : merge) {
            try {
                parts.add(HuntResult.fromJson(Files.readString(p, StandardCharsets.UTF_8)));
            } catch (IOException | IllegalArgumentException e) {
                throw new CommandLine.ParameterException(cl, "option '--merge': cannot read " + p + ": " + e.getMessage());
            }
        }
        HuntResult m;
        try {
            m = HuntResult.merge(parts);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "option '--merge': " + e.getMessage());
        }
        o.println("merged " + parts.size() + " results of hunt " + m.scenario() + " (" + m.strategy() + "): "
                + m.runs() + " runs over shards " + String.join(", ", m.shards()));
        if (m.found()) {
            o.println("FOUND at seed " + m.seed() + ": " + m.failureKind() + ": " + m.failure());
            o.println("replay: " + m.replay());
            o.println("shrunk: " + m.shrunkReplay());
        } else {
            o.println("clean: no failure");
        }
        if (json != null) {
            try {
                writeJson(json, m);
                o.println("json: " + json);
            } catch (IOException e) {
                cl.getErr().println("l4smp hunt: cannot write " + json + ": " + e);
            }
        }
        o.flush();
        return m.found() ? L4smpCommand.EXIT_FAILED : 0;
    }
}
