package l4smp.bench.runner;

import l4smp.bench.report.HgrmWriter;
import l4smp.bench.report.JsonReport;
import l4smp.bench.report.RunReport;
import l4smp.bench.testing.MiniJson;
import l4smp.emulator.Machine;
import l4smp.emulator.ScheduleStrategy;
import l4smp.kernel.Kernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScenarioRunnerTest {

    private final ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);

    private RunReport ipiPingPong(long seed, ScheduleStrategy strategy) {
        return runner.run(RunSpec.builder("ipi-pingpong").cpus(2).seed(seed).strategy(strategy).ops(10_000).build());
    }

    /** Everything of a report that depends on simulated execution only (no host time). */
    private static void assertSameSimulation(RunReport a, RunReport b) {
        assertTrue(a.ok() && b.ok(), () -> a.outcome() + " / " + b.outcome());
        assertArrayEquals(a.clocks(), b.clocks(), "per-CPU clocks");
        assertEquals(a.counterNames(), b.counterNames());
        for (int c = 0; c < a.cpus(); c++) {
            assertArrayEquals(a.perCpuCounters()[c], b.perCpuCounters()[c], "counters of CPU " + c);
        }
        assertEquals(a.operations(), b.operations());
        assertEquals(a.cycles(), b.cycles(), "the simulated-cycle histograms, bucket by bucket");
        assertEquals(a.cyclesSummary(), b.cyclesSummary());
        assertEquals(a.traceHash(), b.traceHash(), "trace hash");
        assertEquals(a.traceEvents(), b.traceEvents(), "trace events");
    }

    @Test
    void ipiPingPongWithASeedIsDeterministic() {
        RunReport a = ipiPingPong(7, ScheduleStrategy.LOWEST_CLOCK);
        RunReport b = ipiPingPong(7, ScheduleStrategy.LOWEST_CLOCK);
        assertSameSimulation(a, b);
        assertEquals(10_000, a.operations());
        assertEquals(10_000, a.cyclesSummary().count());
        // a round trip is at least two IPI deliveries
        assertTrue(a.cyclesSummary().p50() >= 2L * a.costModel().ipiDeliveryCycles(), a.cyclesSummary()::toString);
        assertEquals(10_000, a.counter(0, Machine.C_IPI_SENT));
        assertEquals(10_000, a.counter(1, Machine.C_IPI_SENT));
        assertEquals(20_000, a.counterTotal(Machine.C_IPI_TAKEN));
    }

    @Test
    void randomStrategyIsDeterministicToo() {
        assertSameSimulation(ipiPingPong(11, ScheduleStrategy.RANDOM), ipiPingPong(11, ScheduleStrategy.RANDOM));
    }

    @Test
    void kernelPingPongWithASeedIsDeterministic() {
        RunSpec spec = RunSpec.builder("pingpong").seed(3L).ops(5_000).build();
        RunReport a = runner.run(spec);
        RunReport b = runner.run(spec);
        assertSameSimulation(a, b);
        assertEquals(10_000, a.counterTotal(Kernel.C_IPC_LOCAL), "a call and a reply per round trip");
        assertEquals("deterministic", a.mode());
        assertEquals(List.of(), a.kernelFailures());
    }

    @Test
    void differentPresetsGiveDifferentCycles() {
        RunReport piii = runner.run(RunSpec.builder("pingpong").seed(1L).ops(100).build());
        RunReport p4 = runner.run(RunSpec.builder("pingpong").seed(1L).ops(100)
                .costModel(l4smp.emulator.cost.CostModel.P4).build());
        assertNotEquals(piii.cyclesSummary().p50(), p4.cyclesSummary().p50());
    }

    @Test
    void cpusWithoutWorkGetAnIdleDispatcher() {
        RunReport r = runner.run(RunSpec.builder("test-options").seed(2L).ops(100).build());
        assertTrue(r.ok(), r.outcome()::toString);
        assertEquals(3, r.cpus());
        assertEquals(100, r.operations());
        assertEquals(0, r.clocks()[1]);
        assertEquals(100L * 100, r.clocks()[0]);
    }

    @Test
    void threadFailureMakesTheRunFail() {
        RunReport r = runner.run(RunSpec.builder("test-throwing").seed(5L).ops(20).build());
        assertFalse(r.ok());
        assertEquals(1, r.kernelFailures().size());
        assertTrue(r.kernelFailures().getFirst().contains("thrown on purpose"), r.kernelFailures()::toString);
        assertEquals(20, r.operations());
        assertTrue(l4smp.bench.report.TextReport.lines(r).stream().anyMatch(l -> l.startsWith("thread failure: user thread")),
                () -> String.join("\n", l4smp.bench.report.TextReport.lines(r)));
    }

    @Test
    void secondsBudgetStopsARunWithoutAnOpsBound() {
        RunReport r = runner.run(RunSpec.builder("pingpong").seed(9L).ops(Long.MAX_VALUE)
                .seconds(Duration.ofMillis(300)).build());
        assertTrue(r.ok(), r.outcome()::toString);
        assertTrue(r.timeUp());
        assertTrue(r.operations() > 0);
    }

    @Test
    void badSetupIsReportedBeforeTheRun() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> runner.run(RunSpec.builder("ipi-pingpong").cpus(1).build()));
        assertTrue(e.getMessage().contains("--cpus"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> runner.run(RunSpec.builder("test-options").scenarioOptions(Map.of("step", "5000")).build()));
        assertTrue(e.getMessage().contains("--step"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> runner.run(RunSpec.builder("nope").build()));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void reportFilesHaveTheExpectedShape(@TempDir Path dir) throws Exception {
        RunReport r = ipiPingPong(4, ScheduleStrategy.LOWEST_CLOCK);
        Path json = dir.resolve("r.json");
        JsonReport.write(r, json);
        Object root = MiniJson.parse(Files.readString(json));
        assertEquals(r.traceHashHex(), MiniJson.at(root, "trace_hash"));
        assertEquals(r.cyclesSummary().p99(), MiniJson.at(root, "latency.cycles.p99"));
        assertEquals(r.cyclesSummary().count(), MiniJson.at(root, "latency.host_ns.count"));
        List<Path> files = HgrmWriter.write(r, dir.resolve("h"));
        assertEquals(4, files.size(), files::toString);
        for (Path f : files) {
            String text = Files.readString(f);
            assertTrue(text.contains("Percentile") && text.contains("#[Max"), f + ":\n" + text);
        }
    }
}
