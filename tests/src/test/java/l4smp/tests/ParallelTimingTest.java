package l4smp.tests;

import l4smp.bench.report.LatencySummary;
import l4smp.bench.report.RunReport;
import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.emulator.TimingMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parallel mode tells the same simulated time as deterministic mode: for every scenario of
 * {@code l4smp list} at its defaults, at 4 and 8 CPUs, and at its cross-CPU variants (server,
 * pager, string receiver or interrupt handler on another CPU), a parallel run with exact timing
 * (a host thread per CPU, unpinned, on whatever load the host has) and a seeded run of the same
 * scenario agree on the simulated figures:
 * <ul>
 *   <li>the p50 and the mean simulated latency within {@value #TOLERANCE_PERCENT} %;</li>
 *   <li>the counters that do not depend on the interleaving, per operation -- IPCs (local and
 *       cross-processor), IPIs sent, coherence misses -- within {@value #TOLERANCE_PERCENT} %,
 *       or within {@value #STOP_EVENTS} events in all: a parallel run stops when its last
 *       operation is done, while the other CPUs are wherever host time has them, so the last
 *       round's events (an IPI to a CPU that was about to idle) may or may not be counted;</li>
 *   <li>the parallel run reports every interaction in simulated-time order ("exact").</li>
 * </ul>
 * Where that does not hold the test says so and asserts what does: the scenarios whose figures
 * depend on the interleaving itself ({@link #INTERLEAVING_DEPENDENT}) are only checked to run
 * exact; docs/design.md lists them with their measured differences.
 * Host time plays no part in any assertion. The runs are small here ({@code -Dl4smp.timing.ops},
 * default {@value #CI_OPS}, scaled per scenario); {@code scripts/stress} runs the same comparison
 * at full size. {@code -Dl4smp.timing.mode=lax} runs the parallel side with lax timing (host order
 * within the slack), which fails the comparison: the negative control. {@code -Dl4smp.timing.only=REGEX}
 * keeps the cases whose label matches, {@code -Dl4smp.timing.repeat=N} runs each N times.
 */
// Long enough for scripts/stress's full size (every run is also bounded by its stall watchdog).
@Timeout(value = 3600, threadMode = ThreadMode.SAME_THREAD)
class ParallelTimingTest {

    static final int TOLERANCE_PERCENT = 2;
    static final int STOP_EVENTS = 2;
    static final long CI_OPS = 100;
    /**
     * The seed of the seeded side: the one a parallel run's scenarios draw their own random
     * choices from (a parallel run has seed 0), so that both sides run the same workload.
     */
    static final long SEED = 0;

    /**
     * Scenarios whose simulated figures depend on the interleaving itself, so that seeded runs
     * of different seeds already differ by more than the tolerance (measured at 200 operations):
     * the comparison cannot hold for them, and they are checked only to run and keep simulated
     * time exact. docs/design.md ("Parallel mode tells the seeded time") lists them with figures.
     */
    static final Map<String, String> INTERLEAVING_DEPENDENT = Map.of(
            "fuzz", "random calls and cancels of blocked calls: which call a cancel hits follows the interleaving "
                    + "(mean latency 41,008 cycles at seed 1, 67,123 at seed 2)",
            "migration-storm", "the balancer migrates whichever thread is where at its period "
                    + "(p50 25,999 cycles at seed 1, 22,223 at seed 2)",
            "soak", "random migrations, aborts and unmaps hit whichever call is in flight "
                    + "(at 100 operations: p50 11,479 cycles seeded, 10,735 to 13,135 parallel)");

    static final List<String> COUNTERS = List.of("ipc.local", "ipc.xcpu", "ipi.sent", "mem.coherence_misses");

    /** One comparison: a label, the scenario, CPUs (0: its default), the share of the base ops, options. */
    record Case(String label, String scenario, int cpus, double opsScale, Map<String, String> options) {
        @Override
        public String toString() {
            return label;
        }
    }

    static Case c(String scenario, int cpus, double opsScale, String... options) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < options.length; i += 2) {
            m.put(options[i], options[i + 1]);
        }
        StringBuilder label = new StringBuilder(scenario);
        if (cpus > 0) {
            label.append(" --cpus ").append(cpus);
        }
        m.forEach((k, v) -> label.append(" --").append(k).append(' ').append(v));
        return new Case(label.toString(), scenario, cpus, opsScale, m);
    }

    /** What each scenario runs with: the share of the base operations, and options that keep a run small. */
    static Case base(String scenario, int cpus) {
        return switch (scenario) {
            case "long-ipc" -> c(scenario, cpus, 0.25, "max-bytes", "65536");
            case "boot", "pull", "abort-fault" -> c(scenario, cpus, 0.25);
            default -> c(scenario, cpus, 1.0);
        };
    }

    /**
     * Every scenario at its defaults and at 4 CPUs (and at 8 with {@code -Dl4smp.timing.full=true},
     * as {@code scripts/stress} runs it), then the cross-CPU variants.
     */
    static List<Case> cases() {
        List<Case> s = new ArrayList<>();
        Set<String> names = new TreeSet<>();
        Scenarios.load().all().forEach(sc -> names.add(sc.name()));
        boolean full = Boolean.getBoolean("l4smp.timing.full");
        for (String name : names) {
            s.add(base(name, 0));
            s.add(base(name, 4));
            if (full) {
                s.add(base(name, 8));
            }
        }
        s.add(c("pingpong", 2, 1.0, "placement", "cross"));
        s.add(c("pingpong", 4, 1.0, "placement", "cross", "pairs", "2"));
        s.add(c("pager", 2, 1.0, "placement", "cross"));
        s.add(c("long-ipc", 2, 0.25, "placement", "cross", "max-bytes", "65536"));
        s.add(c("long-ipc", 2, 0.25, "placement", "cross", "faults", "on", "max-bytes", "65536"));
        s.add(c("interrupt-storm", 2, 1.0, "handler-cpu", "1"));
        s.add(c("interrupt-storm", 4, 1.0, "handler-cpu", "3", "routing", "lowest"));
        s.add(c("client-server", 2, 1.0));
        s.add(c("client-server", 2, 1.0, "clients", "4"));
        s.add(c("xp-detect", 2, 1.0));
        return s;
    }

    static long ops(Case c) {
        long base = Long.getLong("l4smp.timing.ops", CI_OPS);
        return Math.max(10, Math.round(base * c.opsScale()));
    }

    static RunReport run(ScenarioRunner runner, Case c, Long seed, TimingMode timing) {
        RunSpec spec = RunSpec.builder(c.scenario()).cpus(c.cpus()).ops(ops(c)).seed(seed).pin(false)
                .timing(timing).scenarioOptions(c.options()).build();
        RunReport r = runner.run(spec);
        assertTrue(r.ok(), () -> c + (seed == null ? " parallel" : " seed " + seed) + " failed: " + r.outcome()
                + " " + r.kernelFailures());
        return r;
    }

    static double perOp(RunReport r, String counter) {
        int i = r.counterNames().indexOf(counter);
        if (i < 0) {
            return 0;
        }
        long total = 0;
        for (long[] cpu : r.perCpuCounters()) {
            total += cpu[i];
        }
        return total / (double) Math.max(1, r.operations());
    }

    static boolean within(double expected, double actual, double slackEvents, int percent) {
        return Math.abs(actual - expected) <= Math.max(expected * percent / 100.0, slackEvents);
    }

    /** The differences of one comparison, one line each (empty: it holds). */
    static List<String> compare(Case c, RunReport seeded, RunReport parallel) {
        List<String> out = new ArrayList<>();
        LatencySummary s = LatencySummary.of(seeded.cycles());
        LatencySummary p = LatencySummary.of(parallel.cycles());
        int percent = TOLERANCE_PERCENT;
        if (!within(s.p50(), p.p50(), 0, percent)) {
            out.add(String.format("%s: p50 %d cycles seeded, %d parallel (%+.1f %%)", c, s.p50(), p.p50(),
                    100.0 * (p.p50() - s.p50()) / s.p50()));
        }
        if (!within(s.mean(), p.mean(), 0, percent)) {
            out.add(String.format("%s: mean %.1f cycles seeded, %.1f parallel (%+.1f %%; max %d, %d)", c, s.mean(),
                    p.mean(), 100.0 * (p.mean() - s.mean()) / s.mean(), s.max(), p.max()));
        }
        for (String counter : COUNTERS) {
            double a = perOp(seeded, counter);
            double b = perOp(parallel, counter);
            if (!within(a, b, STOP_EVENTS / (double) Math.max(1, parallel.operations()), percent)) {
                out.add(String.format("%s: %s per op %.4f seeded, %.4f parallel", c, counter, a, b));
            }
        }
        if (!parallel.timing().exact()) {
            out.add(c + ": " + parallel.timing().corrections() + " interactions out of simulated-time order");
        }
        return out;
    }

    @Test
    void parallelRunsTellTheSeededRunsSimulatedTime() {
        TimingMode timing = TimingMode.parse(System.getProperty("l4smp.timing.mode", "exact"));
        ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);
        List<String> differences = new ArrayList<>();
        String only = System.getProperty("l4smp.timing.only", "");
        int repeat = Integer.getInteger("l4smp.timing.repeat", 1);
        List<Case> cases = new ArrayList<>();
        for (Case c : cases()) {
            if (only.isEmpty() || java.util.regex.Pattern.compile(only).matcher(c.label()).find()) {
                for (int i = 0; i < repeat; i++) {
                    cases.add(c);
                }
            }
        }
        for (Case c : cases) {
            RunReport parallel = run(runner, c, null, timing);
            if (INTERLEAVING_DEPENDENT.containsKey(c.scenario())) {
                if (!parallel.timing().exact()) {
                    differences.add(c + ": " + parallel.timing().corrections() + " interactions out of simulated-time order");
                }
                continue;
            }
            RunReport seeded = run(runner, c, SEED, TimingMode.EXACT);
            differences.addAll(compare(c, seeded, parallel));
        }
        assertEquals(List.of(), differences, differences.size() + " differences in " + cases.size() + " scenarios");
    }

    @Test
    void aSeededRunIsAlwaysExact() {
        ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);
        RunReport r = run(runner, c("pingpong", 2, 1.0, "placement", "cross"), SEED, TimingMode.LAX);
        assertEquals(new RunReport.Timing(0, 0), r.timing());
        assertEquals("exact", r.timingMode());
    }
}
