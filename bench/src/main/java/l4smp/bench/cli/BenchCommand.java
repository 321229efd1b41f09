package l4smp.bench.cli;

import l4smp.bench.ThreadHeapBench;
import l4smp.bench.XpBench;
import l4smp.bench.reproduce.AccessSpeed;
import l4smp.bench.report.Json;
import l4smp.bench.runner.BenchFigures;
import l4smp.bench.runner.BenchFigures.Goal;
import l4smp.bench.runner.LocalRoundTripBench;
import l4smp.bench.runner.MarginalThroughput;
import l4smp.bench.runner.PairsScaling;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.bench.runner.SpreadVerdict;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code l4smp bench}: a quick in-process benchmark (not JMH) of the local IPC round trip through
 * the kernel (the {@code pingpong} scenario on one CPU) against two bare continuations
 * alternating under one dispatcher loop, measured in the same run: warm-up, several iterations,
 * the median of each, the ratio of each interleaved run's pair and their spread, and a verdict
 * against the goal (at most {@value #GOAL_OFF} with the accounting layer off, {@value #GOAL_ON}
 * with it on) only when every run agrees (see {@link SpreadVerdict}). The JMH version is
 * {@code l4smp.bench.jmh.LocalRoundTripBenchmark} ({@code scripts/bench}). The other
 * measurements ({@code --what}) follow the same pattern; {@code --json FILE} writes every figure
 * under a stable name with its spread, goal and verdict ({@link BenchFigures}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Quick benchmark: host ns per local IPC round trip through the kernel, against two bare "
                + "continuations alternating under one dispatcher loop, and their ratio.")
final class BenchCommand implements Callable<Integer> {

    /** The goal for kernel / baseline with the accounting layer off (the execution core alone). */
    static final double GOAL_OFF = 1.5;

    /** The goal for kernel / baseline with the accounting layer on (the default mode). */
    static final double GOAL_ON = 3.0;

    /** The goal for parallel / seeded host time per operation of each run of {@code --what timing}. */
    static final double GOAL_PARALLEL_OVER_SEEDED = 1.0;

    /** The floor for the accounting layer's L1-hit reads, million per host second (the range measured before: 74-95). */
    static final double GOAL_L1_HIT_MPS = 74;

    /** The floor for the accounting layer's L2-miss reads (each evicting), million per host second. */
    static final double GOAL_L2_MISS_MPS = 30;

    /** The floor for calls per second of 10,000 clients against 10 ({@code client-server}, 1 CPU, seeded). */
    static final double GOAL_THREADS = 0.8;

    /** The client counts of {@code --what threads}: few, and many. */
    static final int FEW_CLIENTS = 10;
    static final int MANY_CLIENTS = 10_000;

    /**
     * A run of {@code --what timing}.
     *
     * @param key      its stable name in the JSON ({@code timing.KEY.*})
     * @param label    its line in the text
     * @param scenario the scenario
     * @param cpus     its CPUs
     * @param options  the scenario's options
     */
    private record TimingRun(String key, String label, String scenario, int cpus, Map<String, String> options) {
    }

    /** The runs of {@code --what timing}. */
    private static final List<TimingRun> TIMING_RUNS = List.of(
            new TimingRun("pingpong_local", "pingpong local", "pingpong", 1, Map.of()),
            new TimingRun("pingpong_cross", "pingpong cross", "pingpong", 2, Map.of("placement", "cross")),
            new TimingRun("client_server_2cpus_4clients", "client-server, 2 CPUs, 4 clients", "client-server", 2,
                    Map.of("clients", "4")),
            new TimingRun("interrupt_storm_handler_cpu1", "interrupt-storm, handler on CPU 1", "interrupt-storm", 2,
                    Map.of("handler-cpu", "1")));

    /** The names and figures of this run, written by {@code --json}. */
    private final BenchFigures figures = new BenchFigures();

    /**
     * Host time per operation of the parallel mode (exact timing, a host thread per CPU, pinned)
     * and of the seeded mode (one host thread), each the median of the iterations, and the
     * simulated mean latency of each (the same, when parallel mode keeps simulated time). A
     * benchmark on a host that may be shared: its figures vary, nothing is asserted.
     */
    private void timingModes(PrintWriter out) {
        ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);
        long ops = Math.max(1000, rounds / 20);
        out.printf(Locale.ROOT, "host time per operation, parallel (exact timing) against seeded, %,d operations per run, "
                + "%d warm-up + %d measured iterations, median:%n", ops, warmup, iterations);
        out.flush();
        for (TimingRun r : TIMING_RUNS) {
            double[] par = new double[iterations];
            double[] det = new double[iterations];
            double parMean = 0;
            double detMean = 0;
            boolean failed = false;
            for (int i = -warmup; i < iterations && !failed; i++) {
                var p = runner.run(l4smp.bench.runner.RunSpec.builder(r.scenario()).cpus(r.cpus()).ops(ops)
                        .scenarioOptions(r.options()).build());
                var d = runner.run(l4smp.bench.runner.RunSpec.builder(r.scenario()).cpus(r.cpus()).ops(ops)
                        .seed(1L).scenarioOptions(r.options()).build());
                if (!p.ok() || !d.ok()) {
                    out.printf(Locale.ROOT, "  %-36s a run failed: %s / %s%n", r.label(), p.outcomeName(), d.outcomeName());
                    out.flush();
                    failed = true;
                    continue;
                }
                if (i >= 0) {
                    par[i] = p.hostSeconds() * 1e9 / Math.max(1, p.operations());
                    det[i] = d.hostSeconds() * 1e9 / Math.max(1, d.operations());
                    parMean = l4smp.bench.report.LatencySummary.of(p.cycles()).mean();
                    detMean = l4smp.bench.report.LatencySummary.of(d.cycles()).mean();
                }
            }
            if (failed) {
                continue;
            }
            SpreadVerdict ratio = SpreadVerdict.ofRatios(par, det);
            out.printf(Locale.ROOT, "  %-36s parallel %s ns/op   seeded %s ns/op   simulated mean %.1f / %.1f cycles%n"
                    + "  %-36s parallel/seeded %s%n", r.label(), spread0(par), spread0(det), parMean, detMean, "",
                    ratio.describeCeiling(GOAL_PARALLEL_OVER_SEEDED));
            out.flush();
            String key = "timing." + r.key();
            figures.add(key + ".parallel_ns_per_op", "ns", SpreadVerdict.of(par), null);
            figures.add(key + ".seeded_ns_per_op", "ns", SpreadVerdict.of(det), null);
            figures.add(key + ".ratio_parallel_seeded", "ratio", ratio, Goal.atMost(GOAL_PARALLEL_OVER_SEEDED));
        }
        out.printf(Locale.ROOT, "  (ns/op: median (min-max) of the iterations; the ratio per interleaved pair of runs; "
                + "a verdict only where every pair agrees)%n");
        out.flush();
    }

    /**
     * Calls per host second of {@code client-server} on one CPU, seeded, with {@value #FEW_CLIENTS}
     * and {@value #MANY_CLIENTS} clients calling one server, interleaved run by run; each run's
     * machine, kernel and clients are set up before its timing (with many clients the setup is
     * most of a short run's host time) and the setup's garbage collected. The figure is the ratio
     * of the many clients' throughput to the few's, per interleaved pair, against the floor
     * {@value #GOAL_THREADS}: the kernel's cost per call should hardly grow with the number of
     * threads (JMH: {@code ClientServerBenchmark}).
     *
     * <p>Each iteration also runs both client counts with twice the calls (before the runs of the
     * figure above) for a second figure without a goal, the marginal ratio: the calls per
     * second of the calls the longer run did beyond the shorter ({@link MarginalThroughput}), by
     * the host CPU time of the stepping thread (the caller's, in a seeded run). Both runs of one
     * client count admit, first run and end each client once, so those per-thread fixed costs
     * (each client of {@value #MANY_CLIENTS} calls only a few times) cancel in the difference:
     * the marginal ratio is the steady-state cost per call against the thread count, the first
     * ratio the whole run's.
     */
    private void threads(PrintWriter out) {
        ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);
        long ops = Math.max(10_000, rounds / 4);
        out.printf(Locale.ROOT, "client-server, 1 CPU, seeded, %,d calls per run (setup excluded), %d warm-up + %d measured "
                + "iterations, calls per host second:%n", ops, warmup, iterations);
        out.flush();
        double[] few = new double[iterations];
        double[] many = new double[iterations];
        double[] fewMarginal = new double[iterations];
        double[] manyMarginal = new double[iterations];
        for (int i = -warmup; i < iterations; i++) {
            ThreadsRun f2 = threadsRun(runner, FEW_CLIENTS, 2 * ops);
            ThreadsRun f = threadsRun(runner, FEW_CLIENTS, ops);
            ThreadsRun m2 = threadsRun(runner, MANY_CLIENTS, 2 * ops);
            ThreadsRun m = threadsRun(runner, MANY_CLIENTS, ops);
            if (i >= 0) {
                few[i] = f.callsPerSecond();
                many[i] = m.callsPerSecond();
                fewMarginal[i] = MarginalThroughput.perSecond(ops, f.cpuSeconds(), f2.cpuSeconds());
                manyMarginal[i] = MarginalThroughput.perSecond(ops, m.cpuSeconds(), m2.cpuSeconds());
            }
        }
        SpreadVerdict ratio = SpreadVerdict.ofRatios(many, few);
        out.printf(Locale.ROOT, "  %,d clients %s calls/s   %,d clients %s calls/s%n  %,d vs %,d clients: "
                + "ratio %.2f (%.2f-%.2f over %d runs), goal >= %.1f: %s%n",
                FEW_CLIENTS, spread0(few), MANY_CLIENTS, spread0(many), MANY_CLIENTS, FEW_CLIENTS,
                ratio.median(), ratio.min(), ratio.max(), ratio.n(), GOAL_THREADS,
                switch (ratio.againstFloor(GOAL_THREADS)) {
                    case MET -> "met in every run";
                    case NOT_MET -> "NOT met in any run";
                    case UNDECIDED -> "undecidable: the spread straddles the goal; the host is too noisy to judge";
                });
        SpreadVerdict marginal = MarginalThroughput.ratio(manyMarginal, fewMarginal);
        if (marginal == null) {
            out.printf(Locale.ROOT, "  marginal (steady-state) ratio: no run pair gave one (a run of %,d calls took no "
                    + "more host CPU time than one of %,d)%n", 2 * ops, ops);
        } else {
            out.printf(Locale.ROOT, "  marginal calls/s (the %,d calls a run of %,d did beyond one of %,d, host CPU time "
                    + "of the stepping thread; per-client admission, first run and end cancel):%n"
                    + "  %,d clients %s   %,d clients %s   %,d vs %,d clients: marginal ratio %.2f (%.2f-%.2f over %d runs)%n",
                    ops, 2 * ops, ops, FEW_CLIENTS, spread0(MarginalThroughput.numbers(fewMarginal)), MANY_CLIENTS,
                    spread0(MarginalThroughput.numbers(manyMarginal)), MANY_CLIENTS, FEW_CLIENTS, marginal.median(),
                    marginal.min(), marginal.max(), marginal.n());
        }
        out.flush();
        figures.add("threads.calls_per_s_10", "calls/s", SpreadVerdict.of(few), null);
        figures.add("threads.calls_per_s_10000", "calls/s", SpreadVerdict.of(many), null);
        figures.add("threads.ratio_10000_vs_10", "ratio", ratio, Goal.atLeast(GOAL_THREADS));
        if (marginal != null) {
            figures.add("threads.ratio_marginal_10000_vs_10", "ratio", marginal, null);
        }
    }

    /**
     * Operations per host second of {@code pingpong --pairs N --cpus N --latency off} (parallel
     * mode, pinned as {@code run} pins) for each N of {@code pairs}, with the accounting layer off
     * and on, and the scaling factor against N = 1 per interleaved iteration: each iteration runs
     * every N with both settings (off first in even iterations, on first in odd ones), so a
     * disturbance of the host hits them alike. Every run does the same {@code --rounds}/4
     * round trips (at least 1,000), shared among its pairs, and is set up before its timing. N
     * above the host's cores measures the host's time-slicing of the CPU threads, not scaling:
     * the text says so (JMH: {@code PairsScalingBenchmark}).
     */
    private void scaling(PrintWriter out, int[] pairs) {
        ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);
        long ops = Math.max(1000, rounds / 4);
        int cores = Runtime.getRuntime().availableProcessors();
        PairsScaling s = new PairsScaling(pairs, iterations);
        out.printf(Locale.ROOT, "pingpong --pairs N --cpus N (local pairs, one per CPU, parallel mode, pinned), %,d round "
                + "trips per run shared among the pairs, %d warm-up + %d measured iterations, interleaved; host cores: %d%n",
                ops, warmup, iterations, cores);
        if (PairsScaling.oversubscribed(pairs[pairs.length - 1], cores)) {
            out.printf(Locale.ROOT, "  (more pairs than host cores: those runs time-slice the CPU threads and can take "
                    + "many times as long; progress on stderr)%n");
        }
        out.flush();
        PrintWriter err = spec.commandLine().getErr();
        for (int i = -warmup; i < iterations; i++) {
            err.printf(Locale.ROOT, "l4smp bench: scaling, %s iteration %d of %d%n", i < 0 ? "warm-up" : "measured",
                    i < 0 ? i + warmup + 1 : i + 1, i < 0 ? warmup : iterations);
            err.flush();
            for (int k = 0; k < pairs.length; k++) {
                for (int a = 0; a < 2; a++) {
                    boolean accounting = (a == 1) != (Math.floorMod(i, 2) == 1);
                    var r = runner.run(l4smp.bench.runner.RunSpec.builder("pingpong").cpus(pairs[k]).ops(ops)
                            .accounting(accounting).scenarioOptions(Map.of("latency", "off", "placement", "local",
                                    "pairs", Integer.toString(pairs[k]))).build());
                    if (!r.ok() || r.operations() != ops) {
                        throw new IllegalStateException("the pingpong run with " + pairs[k] + " pairs failed: "
                                + r.outcomeName() + ", " + r.operations() + " of " + ops + " round trips");
                    }
                    if (i >= 0) {
                        s.record(accounting, k, i, ops, r.hostSeconds());
                    }
                }
            }
        }
        for (boolean accounting : new boolean[] {false, true}) {
            for (int k = 0; k < pairs.length; k++) {
                out.println("  " + s.line(accounting, k));
            }
        }
        for (int n : pairs) {
            if (PairsScaling.oversubscribed(n, cores)) {
                out.printf(Locale.ROOT, "  %d pairs: more CPU threads than the host's %d cores: that figure measures "
                        + "oversubscription (the host time-slicing the CPU threads), not scaling%n", n, cores);
            }
        }
        out.printf(Locale.ROOT, "  (ops/s: median (min-max) of the iterations; factor: ops/s at N over ops/s at 1 pair, "
                + "per interleaved iteration. For error bars use scripts/bench PairsScaling.)%n");
        out.flush();
        s.addTo(figures);
    }

    /**
     * One timed {@code client-server} run: calls per host second (wall) and the host CPU time
     * of the stepping thread, in seconds.
     */
    private record ThreadsRun(double callsPerSecond, double cpuSeconds) {
    }

    /** One prepared {@code client-server} run (its setup not timed). */
    private static ThreadsRun threadsRun(ScenarioRunner runner, int clients, long ops) {
        ScenarioRunner.PreparedRun prepared = runner.prepareRun(l4smp.bench.runner.RunSpec.builder("client-server")
                .cpus(1).ops(ops).seed(1L).pin(false)
                .scenarioOptions(Map.of("clients", Integer.toString(clients))).build());
        System.gc(); // the setup's garbage is collected here, not in the run
        java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long cpu0 = mx.getCurrentThreadCpuTime();
        var r = runner.run(prepared); // seeded: this thread steps the machine
        long cpu1 = mx.getCurrentThreadCpuTime();
        if (!r.ok() || r.operations() != ops) {
            throw new IllegalStateException("the client-server run with " + clients + " clients failed: "
                    + r.outcomeName() + ", " + r.operations() + " of " + ops + " calls");
        }
        return new ThreadsRun(ops / r.hostSeconds(), (cpu1 - cpu0) / 1e9);
    }

    private static String spread0(double[] v) {
        return String.format(Locale.ROOT, "%,.0f (%,.0f-%,.0f)", LocalRoundTripBench.median(v.clone()), min(v), max(v));
    }


    @Spec
    CommandSpec spec;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "200000",
            description = "Round trips per iteration (default ${DEFAULT-VALUE}).")
    long rounds;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "5",
            description = "Warm-up iterations of each measurement (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "7",
            description = "Measured iterations of each; the median is reported (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--what", paramLabel = "local|cross|memory|heap|threads|timing|scaling|all", defaultValue = "local",
            description = "What to measure: the local round trip against bare continuations (default), the "
                    + "cross-processor round trip (simulated breakdown; host time against two spinning threads "
                    + "over SPSC queues), the accounting layer's accesses per host second, the host heap per "
                    + "L4 thread, calls per second of client-server with 10,000 clients against 10 (1 CPU, "
                    + "seeded: threads), host time per operation of parallel (exact timing) against seeded runs of "
                    + "pingpong local and cross, client-server and interrupt-storm with the handler on CPU 1 "
                    + "(timing), operations per host second of pingpong --pairs N --cpus N for each N of "
                    + "--pairs-list, accounting off and on, and the scaling factor against N = 1 (scaling: not part "
                    + "of all, as with N above the host's cores it takes minutes), or all.")
    String what;

    @Option(names = "--pairs-list", paramLabel = "N,N,...", defaultValue = PairsScaling.DEFAULT_PAIRS_LIST,
            description = "The pair counts of --what scaling: positive integers up to 64 (one simulated CPU per "
                    + "pair), 1 among them (default ${DEFAULT-VALUE}).")
    String pairsList;

    @Option(names = "--mode", paramLabel = "parallel|deterministic|both", defaultValue = "both",
            description = "Kernel run mode(s) to measure, both on one CPU (default ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--in-process",
            description = "With --what all: measure every group in this JVM, one after the other, instead of each "
                    + "in a JVM of its own (the default: a group measured after others in one JVM runs on code the "
                    + "JIT compiled for them too). A single group always runs in this JVM.")
    boolean inProcess;

    @Option(names = "--json", paramLabel = "FILE",
            description = "Also write every figure to FILE as JSON under a stable name, with its median, range, "
                    + "runs, goal and verdict, and the host and options.")
    Path json;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        if (rounds < 1000) {
            throw new CommandLine.ParameterException(cl, "option '--rounds' must be at least 1000, got " + rounds);
        }
        if (warmup < 0) {
            throw new CommandLine.ParameterException(cl, "option '--warmup' must be >= 0, got " + warmup);
        }
        if (iterations < 1) {
            throw new CommandLine.ParameterException(cl, "option '--iterations' must be at least 1, got " + iterations);
        }
        boolean parallel;
        boolean deterministic;
        switch (mode.toLowerCase(Locale.ROOT)) {
            case "parallel" -> { parallel = true; deterministic = false; }
            case "deterministic" -> { parallel = false; deterministic = true; }
            case "both" -> { parallel = true; deterministic = true; }
            default -> throw new CommandLine.ParameterException(cl,
                    "option '--mode' must be parallel, deterministic or both, got '" + mode + "'");
        }
        PrintWriter out = cl.getOut();
        boolean local;
        boolean cross;
        boolean memory;
        boolean heap = false;
        boolean threads = false;
        boolean timing = false;
        boolean scaling = false;
        switch (what.toLowerCase(Locale.ROOT)) {
            case "local" -> { local = true; cross = false; memory = false; }
            case "cross" -> { local = false; cross = true; memory = false; }
            case "memory" -> { local = false; cross = false; memory = true; }
            case "heap" -> { local = false; cross = false; memory = false; heap = true; }
            case "threads" -> { local = false; cross = false; memory = false; threads = true; }
            case "timing" -> { local = false; cross = false; memory = false; timing = true; }
            case "scaling" -> { local = false; cross = false; memory = false; scaling = true; }
            case "all" -> { local = true; cross = true; memory = true; heap = true; threads = true; timing = true; }
            default -> throw new CommandLine.ParameterException(cl,
                    "option '--what' must be local, cross, memory, heap, threads, timing, scaling or all, got '"
                            + what + "'");
        }
        int[] pairs;
        try {
            pairs = PairsScaling.parsePairsList(pairsList);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, e.getMessage());
        }
        ReportFiles.checkOutputFile(cl, "--json", json);
        Map<String, Object> header = header(scaling ? pairs : null);
        Map<String, Object> figuresJson;
        if ("all".equals(what.toLowerCase(Locale.ROOT)) && !inProcess) {
            out.printf(Locale.ROOT, "each group in a JVM of its own (--in-process: all in this one)%n");
            out.flush();
            figuresJson = new LinkedHashMap<>();
            List<String> sizes = List.of("--rounds", Long.toString(rounds), "--warmup", Integer.toString(warmup),
                    "--iterations", Integer.toString(iterations), "--mode", mode.toLowerCase(Locale.ROOT));
            for (String group : ForkedBenchGroups.ALL_GROUPS) {
                try {
                    figuresJson.putAll(ForkedBenchGroups.run(group, sizes, out, cl.getErr()));
                } catch (IOException | IllegalStateException e) {
                    cl.getErr().println("l4smp bench: " + e.getMessage());
                    return 1;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    cl.getErr().println("l4smp bench: interrupted while the " + group + " group ran");
                    return 1;
                }
            }
        } else {
            runInProcess(out, scaling, pairs, timing, heap, memory, threads, cross, local, parallel, deterministic);
            figuresJson = figures.toJson();
        }
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>(header);
            doc.put("finished_at", Instant.now().toString());
            @SuppressWarnings("unchecked")
            Map<String, Object> host = (Map<String, Object>) doc.get("host");
            host.put("load_average_end", loadAverage());
            doc.put("figures", figuresJson);
            try {
                Json.write(doc, json);
            } catch (IOException | RuntimeException e) {
                cl.getErr().println("l4smp bench: cannot write " + json + ": " + e.getMessage());
                return 1;
            }
        }
        return 0;
    }

    /** The groups chosen, in this JVM, one after the other; their figures go to {@link #figures}. */
    private void runInProcess(PrintWriter out, boolean scaling, int[] pairs, boolean timing, boolean heap,
                              boolean memory, boolean threads, boolean cross, boolean local, boolean parallel,
                              boolean deterministic) {
        if (scaling) {
            scaling(out, pairs);
        }
        if (timing) {
            timingModes(out);
        }
        if (heap) {
            ThreadHeapBench.Result h = ThreadHeapBench.measure(20_000);
            out.print(h);
            out.flush();
            figures.add("heap.bytes_per_thread_created", "bytes", SpreadVerdict.of(new double[] {h.bytesPerThreadCreated()}), null);
            figures.add("heap.bytes_per_thread_run", "bytes", SpreadVerdict.of(new double[] {h.bytesPerThreadRun()}), null);
        }
        if (memory) {
            memory(out);
        }
        if (threads) {
            threads(out);
        }
        if (cross) {
            // 20,000 host round trips per run at the default --rounds, fewer for a quick look
            XpBench.Result x = XpBench.measure(l4smp.emulator.cost.CostModel.PIII_450, 200,
                    (int) Math.min(20_000, Math.max(1_000, rounds / 10)));
            out.print(x);
            out.flush();
            figures.add("cross.ratio_on_off", "ratio", x.onVsOff(), Goal.atMostOverLowerBound(XpBench.GOAL_ON_VS_OFF));
            figures.add("cross.ratio_spsc", "ratio", x.offVsBaseline(), Goal.atMostOverLowerBound(XpBench.GOAL_OFF_VS_SPSC));
            figures.add("cross.simulated_cycles_per_round_trip", "cycles",
                    SpreadVerdict.of(new double[] {x.cyclesPerRoundTrip()}), null);
            figures.add("cross.simulated_lines_moved_per_round_trip", "lines",
                    SpreadVerdict.of(new double[] {x.breakdown().getOrDefault(XpBench.COHERENCE_MISSES, 0.0)}), null);
        }
        if (local) {
            local(out, parallel, deterministic);
        }
    }

    /**
     * The JSON's header: layout version, build, JVM, host (with its load at the start) and the
     * options ({@code pairs_list} only where {@code --what scaling} measures it).
     */
    private Map<String, Object> header(int[] pairs) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("schema", "l4smp-bench");
        j.put("schema_version", JSON_SCHEMA_VERSION);
        j.put("l4smp", l4smp.bench.report.JsonReport.build());
        j.put("jvm", l4smp.bench.report.JsonReport.jvm());
        Map<String, Object> host = l4smp.bench.report.JsonReport.host();
        host.put("load_average_start", loadAverage());
        j.put("host", host);
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("what", what.toLowerCase(Locale.ROOT));
        options.put("mode", mode.toLowerCase(Locale.ROOT));
        options.put("rounds", rounds);
        options.put("warmup", warmup);
        options.put("iterations", iterations);
        if ("all".equals(what.toLowerCase(Locale.ROOT))) {
            options.put("in_process", inProcess);
        }
        if (pairs != null) {
            options.put("pairs_list", java.util.Arrays.stream(pairs).boxed().toList());
        }
        j.put("options", options);
        j.put("started_at", Instant.now().toString());
        return j;
    }

    /** The version of the JSON's layout; raised whenever a member or a figure changes meaning or goes away. */
    static final int JSON_SCHEMA_VERSION = 1;

    /** The host's load average over the last minute, or {@code null} where the OS does not tell. */
    private static Double loadAverage() {
        double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return l < 0 ? null : l;
    }

    /**
     * The accounting layer's simulated accesses per host second on one host thread, rounds of
     * {@code --rounds} x 100 accesses (20,000,000 at the default), the first two a JIT warm-up
     * (in a JVM of its own the first measured round was still being compiled after one). The
     * layer is built as a machine of one host thread builds it (single-writer directory: a
     * seeded run, or a parallel run of one CPU), and the goals are judged on it; the L2-miss
     * reads are measured as well on a concurrent directory (a CAS per transition, what each
     * CPU thread of a parallel run of two or more CPUs pays), printed without a goal.
     */
    private void memory(PrintWriter out) {
        var speeds = AccessSpeed.measure(Math.max(1_000_000L, rounds * 100), 7);
        var measured = speeds.subList(2, speeds.size()); // the first two rounds warm the JIT up
        double[] l1r = perRound(measured, AccessSpeed.Speed::l1HitReadsMps);
        double[] l1w = perRound(measured, AccessSpeed.Speed::l1HitWritesMps);
        double[] l2 = perRound(measured, AccessSpeed.Speed::l2MissReadsMps);
        double[] l2c = perRound(measured, AccessSpeed.Speed::l2MissReadsConcurrentMps);
        SpreadVerdict l1Spread = SpreadVerdict.of(l1r);
        SpreadVerdict l2Spread = SpreadVerdict.of(l2);
        out.printf(Locale.ROOT, "accounting layer, one host thread (PIII_450), million simulated accesses per host second,"
                + " median (min-max) of %d rounds:%n"
                + "  single-writer directory (a seeded run, or a parallel run of one CPU):%n"
                + "    L1-hit reads %s, L1-hit writes %s, L2-miss reads (each evicts) %s%n"
                + "  concurrent directory (a CAS per transition: each CPU thread of a parallel run of 2+ CPUs):%n"
                + "    L2-miss reads (each evicts) %s%n"
                + "  L1-hit reads, goal >= %.0f: %s%n  L2-miss reads (single-writer), goal >= %.0f: %s%n",
                measured.size(), spread(l1r), spread(l1w), spread(l2), spread(l2c),
                GOAL_L1_HIT_MPS, floorVerdict(l1Spread, GOAL_L1_HIT_MPS), GOAL_L2_MISS_MPS, floorVerdict(l2Spread, GOAL_L2_MISS_MPS));
        out.flush();
        figures.add("memory.l1_hit_mps", "million/s", l1Spread, Goal.atLeast(GOAL_L1_HIT_MPS));
        figures.add("memory.l1_hit_write_mps", "million/s", SpreadVerdict.of(l1w), null);
        figures.add("memory.l2_miss_mps", "million/s", l2Spread, Goal.atLeast(GOAL_L2_MISS_MPS));
        figures.add("memory.l2_miss_concurrent_mps", "million/s", SpreadVerdict.of(l2c), null);
    }

    /** One figure of each measured round, in round order. */
    private static double[] perRound(List<AccessSpeed.Speed> rounds, Function<AccessSpeed.Speed, Double> figure) {
        double[] out = new double[rounds.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = figure.apply(rounds.get(i));
        }
        return out;
    }

    private static String floorVerdict(SpreadVerdict v, double goal) {
        return switch (v.againstFloor(goal)) {
            case MET -> "met in every run";
            case NOT_MET -> "NOT met in any run";
            case UNDECIDED -> "undecidable: the spread straddles the goal; the host is too noisy to judge";
        };
    }

    /** The local round trip against two bare continuations, interleaved (the default measurement). */
    private void local(PrintWriter out, boolean parallel, boolean deterministic) {
        ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);
        out.printf(Locale.ROOT, "local IPC round trip (call / reply-and-wait, one CPU), %,d round trips per iteration, "
                + "%d warm-up + %d measured iterations, median:%n", rounds, warmup, iterations);
        out.flush();
        double[] base = new double[iterations];
        double[] par = new double[iterations];
        double[] det = new double[iterations];
        double[] core = new double[iterations];
        for (int i = 0; i < warmup; i++) {
            LocalRoundTripBench.baselineNanos(rounds);
            if (parallel) {
                LocalRoundTripBench.kernelNanos(runner, rounds, null);
                LocalRoundTripBench.kernelNanos(runner, rounds, null, false);
            }
            if (deterministic) {
                LocalRoundTripBench.kernelNanos(runner, rounds, 1L);
            }
        }
        // interleaved, so that a disturbance of the host hits every measurement alike
        for (int i = 0; i < iterations; i++) {
            base[i] = LocalRoundTripBench.baselineNanos(rounds);
            if (parallel) {
                par[i] = LocalRoundTripBench.kernelNanos(runner, rounds, null);
                core[i] = LocalRoundTripBench.kernelNanos(runner, rounds, null, false);
            }
            if (deterministic) {
                det[i] = LocalRoundTripBench.kernelNanos(runner, rounds, 1L);
            }
        }
        double b = LocalRoundTripBench.median(base.clone());
        out.printf(Locale.ROOT, "  baseline (2 continuations, 1 dispatcher loop) %8.1f ns (%.1f-%.1f)%n", b, min(base), max(base));
        figures.add("local.baseline_ns", "ns", SpreadVerdict.of(base), null);
        if (parallel) {
            double c = LocalRoundTripBench.median(core.clone());
            SpreadVerdict off = SpreadVerdict.ofRatios(core, base);
            out.printf(Locale.ROOT, "  kernel pingpong, parallel, accounting off   %8.1f ns   %s%n", c, off.describe(GOAL_OFF));
            double k = LocalRoundTripBench.median(par.clone());
            SpreadVerdict on = SpreadVerdict.ofRatios(par, base);
            out.printf(Locale.ROOT, "  kernel pingpong, parallel, accounting on    %8.1f ns   %s%n", k, on.describe(GOAL_ON));
            double[] share = new double[iterations];
            for (int i = 0; i < iterations; i++) {
                share[i] = par[i] - core[i];
            }
            out.printf(Locale.ROOT, "    (the MESI/TLB model's share: %.1f ns, %.1f-%.1f)%n",
                    LocalRoundTripBench.median(share.clone()), min(share), max(share));
            figures.add("local.kernel_off_ns", "ns", SpreadVerdict.of(core), null);
            figures.add("local.kernel_on_ns", "ns", SpreadVerdict.of(par), null);
            figures.add("local.ratio_off", "ratio", off, Goal.atMostOverLowerBound(GOAL_OFF));
            figures.add("local.ratio_on", "ratio", on, Goal.atMostOverLowerBound(GOAL_ON));
        }
        if (deterministic) {
            double k = LocalRoundTripBench.median(det.clone());
            SpreadVerdict d = SpreadVerdict.ofRatios(det, base);
            out.printf(Locale.ROOT, "  kernel pingpong, deterministic, accounting on %6.1f ns   ratio %s%n", k, d.range());
            figures.add("local.kernel_deterministic_ns", "ns", SpreadVerdict.of(det), null);
            figures.add("local.ratio_deterministic", "ratio", d, null);
        }
        out.printf(Locale.ROOT, "  (ratios per interleaved run: median (min-max); a verdict only where every run agrees."
                + " For error bars use scripts/bench.)%n");
        out.flush();
    }

    private static String spread(double[] v) {
        return String.format(Locale.ROOT, "%.1f (%.1f-%.1f)", LocalRoundTripBench.median(v.clone()), min(v), max(v));
    }

    private static double min(double[] v) {
        return java.util.Arrays.stream(v).min().orElseThrow();
    }

    private static double max(double[] v) {
        return java.util.Arrays.stream(v).max().orElseThrow();
    }
}
