package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.Kernel;
import l4smp.kernel.space.Spaces;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every built-in scenario runs to completion in deterministic mode and does its operations. */
class ScenarioSmokeTest {

    static Scenario find(String name) {
        for (Scenario s : ServiceLoader.load(Scenario.class)) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    @ParameterizedTest
    @CsvSource({"pingpong,1", "ipi-pingpong,2", "client-server,1", "priorities,1", "timeouts,1", "interrupt-storm,1",
            "ipi-pingpong,4", "pager,1", "pager,2", "unmap-storm,1", "unmap-storm,2", "unmap-storm,4", "unmap-storm,8",
            "long-ipc,1", "boot,2", "boot,8", "balance,2", "balance,4", "pull,2", "pull,4", "migration-storm,2",
            "migration-storm,4", "soak,2", "soak,4"})
    void runsAndRecordsEveryOperation(String name, int cpus) {
        Scenario scenario = find(name);
        assertNotNull(scenario, "scenario " + name + " is not registered");
        Machine machine = new Machine(MachineConfig.builder().cpus(cpus).deterministic(5).build());
        ScenarioContext context = new ScenarioContext(machine,
                ScenarioOptions.parse(name, scenario.options(), Map.of()), 200);
        scenario.setup(context);
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> name + " failed: " + outcome.failure());
        context.runAfterRunChecks(); // the scenario's own end-of-run checks
        assertEquals(java.util.List.of(), context.failures(), name + ": the scenario's checks");
        Kernel kernel = context.kernelIfBooted();
        if (kernel != null) {
            assertEquals(0, kernel.failures().size(), () -> kernel.failures().toString());
        }
        // The accounting layer's invariants hold after every scenario (at most one M/E owner per
        // line, no S line with an M/E owner, caches agree with the directory).
        var invariants = machine.memorySystem().checkInvariants();
        assertTrue(invariants.ok(), () -> name + ": " + invariants);
        if (kernel != null) {
            assertTrue(invariants.linesChecked() > 0, name + ": the kernel's data went through the accounting layer");
        }
        // Every CPU's TLB agrees with the page tables of the space it has loaded (empty without
        // address spaces); the mapping database agrees with itself and the page tables.
        Spaces spaces = kernel == null ? null : kernel.spacesOrNullAcquire();
        if (spaces != null) {
            assertEquals(java.util.List.of(), spaces.check(), name + ": mapping database and TLBs agree with the page tables");
        } else {
            assertEquals(java.util.List.of(), machine.mmu().checkTlbs(null), name + ": TLBs agree with the page tables");
        }
        Object stale = context.results().get("stale_reads");
        if (stale != null) {
            assertEquals(0L, ((Number) stale).longValue(), name + ": no read through a stale translation after unmap");
        }
        long ops = context.recorders().stream().mapToLong(SingleWriterLatencyRecorder::operations).sum();
        assertEquals(200, ops, name + " did not do all its operations");
        for (SingleWriterLatencyRecorder r : context.recorders()) {
            if (r.operations() > 0) {
                assertTrue(r.cycles().getMaxValue() > 0, name + ": latencies in simulated cycles are recorded");
            }
        }
    }
}
