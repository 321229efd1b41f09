package l4smp.bench.cli;

import l4smp.bench.ThreadHeapBench;
import l4smp.bench.runner.LocalRoundTripBench;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.bench.runner.SpreadVerdict;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code l4smp bench}: a quick in-process benchmark (not JMH) of the local IPC round trip through
 * the kernel (the {@code pingpong} scenario on one CPU) against two bare continuations
 * alternating under one dispatcher loop, measured in the same run: warm-up, several iterations,
 * the median of each, the ratio of each interleaved run's pair and their spread, and a verdict
 * against the goal (at most {@value #GOAL_OFF} with the accounting layer off, {@value #GOAL_ON}
 * with it on) only when every run agrees (see {@link SpreadVerdict}). The JMH version is
 * {@code l4smp.bench.jmh.LocalRoundTripBenchmark} ({@code scripts/bench}).
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

    /** The runs of {@code --what timing}: a label and the scenario with its options. */
    private static final String[][] TIMING_RUNS = {
            {"pingpong local", "pingpong", "1"},
            {"pingpong cross", "pingpong", "2", "placement", "cross"},
            {"client-server, 2 CPUs, 4 clients", "client-server", "2", "clients", "4"},
            {"interrupt-storm, handler on CPU 1", "interrupt-storm", "2", "handler-cpu", "1"},
    };

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
        for (String[] r : TIMING_RUNS) {
            java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
            for (int i = 3; i + 1 < r.length; i += 2) {
                options.put(r[i], r[i + 1]);
            }
            double[] par = new double[iterations];
            double[] det = new double[iterations];
            double parMean = 0;
            double detMean = 0;
            boolean failed = false;
            for (int i = -warmup; i < iterations && !failed; i++) {
                var p = runner.run(l4smp.bench.runner.RunSpec.builder(r[1]).cpus(Integer.parseInt(r[2])).ops(ops)
                        .scenarioOptions(options).build());
                var d = runner.run(l4smp.bench.runner.RunSpec.builder(r[1]).cpus(Integer.parseInt(r[2])).ops(ops)
                        .seed(1L).scenarioOptions(options).build());
                if (!p.ok() || !d.ok()) {
                    out.printf(Locale.ROOT, "  %-36s a run failed: %s / %s%n", r[0], p.outcomeName(), d.outcomeName());
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
                    + "  %-36s parallel/seeded %s%n", r[0], spread0(par), spread0(det), parMean, detMean, "",
                    ratio.describeCeiling(GOAL_PARALLEL_OVER_SEEDED));
            out.flush();
        }
        out.printf(Locale.ROOT, "  (ns/op: median (min-max) of the iterations; the ratio per interleaved pair of runs; "
                + "a verdict only where every pair agrees)%n");
        out.flush();
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

    @Option(names = "--what", paramLabel = "local|cross|memory|heap|timing|all", defaultValue = "local",
            description = "What to measure: the local round trip against bare continuations (default), the "
                    + "cross-processor round trip (simulated breakdown; host time against two spinning threads "
                    + "over SPSC queues), the accounting layer's accesses per host second, the host heap per "
                    + "L4 thread, host time per operation of parallel (exact timing) against seeded runs of "
                    + "pingpong local and cross, client-server and interrupt-storm with the handler on CPU 1 "
                    + "(timing), or all.")
    String what;

    @Option(names = "--mode", paramLabel = "parallel|deterministic|both", defaultValue = "both",
            description = "Kernel run mode(s) to measure, both on one CPU (default ${DEFAULT-VALUE}).")
    String mode;

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
        boolean timing = false;
        switch (what.toLowerCase(Locale.ROOT)) {
            case "local" -> { local = true; cross = false; memory = false; }
            case "cross" -> { local = false; cross = true; memory = false; }
            case "memory" -> { local = false; cross = false; memory = true; }
            case "heap" -> { local = false; cross = false; memory = false; heap = true; }
            case "timing" -> { local = false; cross = false; memory = false; timing = true; }
            case "all" -> { local = true; cross = true; memory = true; heap = true; timing = true; }
            default -> throw new CommandLine.ParameterException(cl,
                    "option '--what' must be local, cross, memory, heap, timing or all, got '" + what + "'");
        }
        if (timing) {
            timingModes(out);
        }
        if (heap) {
            out.print(ThreadHeapBench.measure(20_000));
            out.flush();
        }
        if (memory) {
            var speeds = l4smp.bench.reproduce.AccessSpeed.measure(20_000_000L, 6);
            var measured = speeds.subList(1, speeds.size()); // the first round warms the JIT up
            out.printf(Locale.ROOT, "accounting layer, one host thread (PIII_450), million simulated accesses per host second,"
                    + " median (min-max) of %d rounds:%n  L1-hit reads %s, L1-hit writes %s, L2-miss reads (each evicts) %s%n",
                    measured.size(),
                    spread(measured, l4smp.bench.reproduce.AccessSpeed.Speed::l1HitReadsMps),
                    spread(measured, l4smp.bench.reproduce.AccessSpeed.Speed::l1HitWritesMps),
                    spread(measured, l4smp.bench.reproduce.AccessSpeed.Speed::l2MissReadsMps));
            out.flush();
        }
        if (cross) {
            out.print(l4smp.bench.XpBench.measure(l4smp.emulator.cost.CostModel.PIII_450, 200, 20_000));
            out.flush();
        }
        if (!local) {
            return 0;
        }
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
        }
        if (deterministic) {
            double k = LocalRoundTripBench.median(det.clone());
            out.printf(Locale.ROOT, "  kernel pingpong, deterministic, accounting on %6.1f ns   ratio %s%n",
                    k, SpreadVerdict.ofRatios(det, base).range());
        }
        out.printf(Locale.ROOT, "  (ratios per interleaved run: median (min-max); a verdict only where every run agrees."
                + " For error bars use scripts/bench.)%n");
        out.flush();
        return 0;
    }

    /** {@link #spread(double[])} of one figure of each round. */
    private static <T> String spread(java.util.List<T> rounds, java.util.function.ToDoubleFunction<T> figure) {
        return spread(rounds.stream().mapToDouble(figure).toArray());
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
