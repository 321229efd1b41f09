package l4smp.tests;

import l4smp.bench.report.RunReport;
import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.emulator.ScheduleStrategy;
import l4smp.kernel.KernelConfig;
import l4smp.kernel.thread.TcbLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden seeded runs: a fixed set of deterministic runs (every scenario at a small operation
 * count under two seeds, plus the cross-processor variants) through the runner the command line
 * uses, each reduced to one line of text (the trace hash, every CPU's clock, every nonzero
 * counter per CPU and in total), compared with the lines recorded in
 * {@code src/test/resources/l4smp/tests/golden-runs.txt}.
 *
 * <p>A seeded run is bit-for-bit replayable, so any change to what the kernel or the emulator does
 * (a memory access charged more or less, one event more in the trace, a different order of two
 * wake-ups) moves at least one of these figures. A change that is meant to keep behaviour (a
 * refactoring) must leave the file as it is; a change that is meant to alter behaviour
 * regenerates it on purpose, and says why in its commit:
 *
 * <pre>
 * mvn -pl tests -am test -Dtest=GoldenRunsTest -Dsurefire.failIfNoSpecifiedTests=false -Dl4smp.golden.regenerate=true
 * </pre>
 *
 * <p>With {@code -Dl4smp.golden.regenerate=true} the test rewrites the file in the source tree
 * (the tests module's {@code src/test/resources}) instead of comparing, and passes.
 */
@Timeout(value = 300, threadMode = ThreadMode.SAME_THREAD)
class GoldenRunsTest {

    static final String RESOURCE = "golden-runs.txt";
    static final Path SOURCE_FILE = Path.of("src", "test", "resources", "l4smp", "tests", RESOURCE);
    static final long[] SEEDS = {1, 2};

    /** One run of the set: a label, the scenario, CPUs (0: its default), operations, options. */
    record Golden(String label, String scenario, int cpus, long ops, Map<String, String> options,
                  long failedCpus, TcbLayout layout, ScheduleStrategy strategy) {
    }

    static Golden g(String label, String scenario, int cpus, long ops, String... options) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < options.length; i += 2) {
            m.put(options[i], options[i + 1]);
        }
        return new Golden(label, scenario, cpus, ops, m, 0L, TcbLayout.GROUPED, ScheduleStrategy.LOWEST_CLOCK);
    }

    /** The set: every scenario of {@code l4smp list} at its default CPUs, then the variants. */
    static List<Golden> set() {
        List<Golden> s = new ArrayList<>();
        s.add(g("balance", "balance", 0, 1000));
        s.add(g("boot", "boot", 0, 250));
        s.add(g("client-server", "client-server", 0, 2000));
        s.add(g("interrupt-storm", "interrupt-storm", 0, 1000));
        s.add(g("ipi-pingpong", "ipi-pingpong", 0, 2000));
        s.add(g("long-ipc", "long-ipc", 0, 200, "max-bytes", "65536"));
        s.add(g("migration-storm", "migration-storm", 0, 1500));
        s.add(g("pager", "pager", 0, 1000));
        s.add(g("pingpong", "pingpong", 0, 2000));
        s.add(g("priorities", "priorities", 0, 500));
        s.add(g("pull", "pull", 0, 200));
        s.add(g("soak", "soak", 4, 3000));
        s.add(g("timeouts", "timeouts", 0, 1000));
        s.add(g("unmap-storm", "unmap-storm", 0, 500));
        s.add(g("xp-detect", "xp-detect", 0, 1000));
        // cross-processor variants
        s.add(g("pingpong-cross", "pingpong", 2, 2000, "placement", "cross"));
        s.add(g("pingpong-cross-4cpu-pairs", "pingpong", 4, 2000, "placement", "cross", "pairs", "2"));
        s.add(g("pager-cross", "pager", 2, 1000, "placement", "cross"));
        s.add(g("long-ipc-cross", "long-ipc", 2, 200, "placement", "cross", "max-bytes", "65536"));
        s.add(g("long-ipc-cross-faults", "long-ipc", 2, 200, "placement", "cross", "faults", "on",
                "max-bytes", "65536"));
        s.add(g("interrupt-storm-handler-cpu1", "interrupt-storm", 2, 1000, "handler-cpu", "1"));
        s.add(g("interrupt-storm-4cpu-lowest", "interrupt-storm", 4, 1000, "routing", "lowest"));
        s.add(g("client-server-4cpu", "client-server", 4, 2000));
        s.add(g("unmap-storm-4cpu", "unmap-storm", 4, 500));
        s.add(g("unmap-storm-current-space", "unmap-storm", 4, 500, "policy", "current-space", "bystanders", "1"));
        s.add(g("xp-detect-4cpu-nofallback", "xp-detect", 4, 1000, "fallback", "off"));
        s.add(g("boot-2cpu", "boot", 2, 250));
        s.add(new Golden("boot-fail-cpu2", "boot", 4, 250, Map.of(), 1L << 2, TcbLayout.GROUPED,
                ScheduleStrategy.LOWEST_CLOCK));
        s.add(g("balance-move-caller", "balance", 4, 1000, "move", "caller"));
        s.add(g("balance-off", "balance", 4, 1000, "balance", "off"));
        s.add(g("pull-2cpu", "pull", 2, 200));
        s.add(g("migration-storm-shared", "migration-storm", 4, 1500, "balancer", "shared"));
        s.add(g("soak-8cpu", "soak", 8, 4000));
        s.add(new Golden("pingpong-cross-naive-layout", "pingpong", 2, 1500, Map.of("placement", "cross"), 0L,
                TcbLayout.NAIVE, ScheduleStrategy.LOWEST_CLOCK));
        s.add(new Golden("soak-random-strategy", "soak", 4, 3000, Map.of(), 0L, TcbLayout.GROUPED,
                ScheduleStrategy.RANDOM));
        s.add(new Golden("migration-storm-random-strategy", "migration-storm", 4, 1500, Map.of(), 0L,
                TcbLayout.GROUPED, ScheduleStrategy.RANDOM));
        return s;
    }

    /** Runs {@code g} under {@code seed} and reduces it to its golden line. */
    static String line(ScenarioRunner runner, Golden g, long seed) {
        KernelConfig kc = KernelConfig.DEFAULT.withTcbLayout(g.layout());
        RunSpec spec = RunSpec.builder(g.scenario()).cpus(g.cpus()).ops(g.ops()).seed(seed).strategy(g.strategy()).pin(false)
                .scenarioOptions(g.options()).failedCpus(g.failedCpus()).kernelConfig(kc).build();
        RunReport r = runner.run(spec);
        assertTrue(r.ok(), () -> g.label() + " seed " + seed + " failed: " + r.outcome() + " " + r.kernelFailures());
        StringBuilder b = new StringBuilder();
        b.append(g.label()).append(" seed=").append(seed)
                .append(" ops=").append(r.operations())
                .append(" hash=").append(Long.toHexString(r.traceHash()))
                .append(" events=").append(r.traceEvents())
                .append(" clocks=");
        for (int c = 0; c < r.cpus(); c++) {
            b.append(c == 0 ? "" : ",").append(r.clocks()[c]);
        }
        Map<String, Long> total = new TreeMap<>();
        for (int c = 0; c < r.cpus(); c++) {
            for (int i = 0; i < r.counterNames().size(); i++) {
                total.merge(r.counterNames().get(i), r.perCpuCounters()[c][i], Long::sum);
            }
        }
        b.append(" | total");
        total.forEach((k, v) -> {
            if (v != 0) {
                b.append(' ').append(k).append('=').append(v);
            }
        });
        for (int c = 0; c < r.cpus(); c++) {
            b.append(" | cpu").append(c);
            for (int i = 0; i < r.counterNames().size(); i++) {
                long v = r.perCpuCounters()[c][i];
                if (v != 0) {
                    b.append(' ').append(r.counterNames().get(i)).append('=').append(v);
                }
            }
        }
        return b.toString();
    }

    static List<String> runAll() {
        ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);
        List<String> lines = new ArrayList<>();
        for (Golden g : set()) {
            for (long seed : SEEDS) {
                lines.add(line(runner, g, seed));
            }
        }
        return lines;
    }

    @Test
    void seededRunsRepeatTheGoldenFile() throws IOException {
        List<String> actual = runAll();
        if (Boolean.getBoolean("l4smp.golden.regenerate")) {
            Files.createDirectories(SOURCE_FILE.getParent());
            Files.write(SOURCE_FILE, actual, StandardCharsets.UTF_8);
            return;
        }
        List<String> expected;
        try (InputStream in = GoldenRunsTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " is missing: generate it with -Dl4smp.golden.regenerate=true");
            expected = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
            String e = i < expected.size() ? expected.get(i) : "(none)";
            String a = i < actual.size() ? actual.get(i) : "(none)";
            if (!e.equals(a)) {
                diffs.add("expected: " + e + "\n  actual: " + a);
            }
        }
        assertEquals(List.of(), diffs, diffs.size() + " of " + actual.size() + " golden runs differ");
    }
}
