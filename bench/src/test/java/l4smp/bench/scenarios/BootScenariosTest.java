package l4smp.bench.scenarios;

import l4smp.bench.report.RunReport;
import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.emulator.ScheduleStrategy;
import l4smp.kernel.Kernel;
import l4smp.kernel.boot.SmpBoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scenarios of the boot issue: boot (8.2), balance (6.2.2/6.2.3), pull (8.7.4). */
class BootScenariosTest {

    private final ScenarioRunner runner = new ScenarioRunner(l4smp.bench.runner.Scenarios.load(), null);

    private RunReport run(RunSpec.Builder spec) {
        RunReport r = runner.run(spec.build());
        assertTrue(r.ok(), () -> r.outcome() + " " + r.kernelFailures());
        return r;
    }

    private static long counter(RunReport r, String name) {
        return r.counterTotal(name);
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void bootBringsUpEveryCpuAndPingPongsOverAll(int cpus) {
        RunReport r = run(RunSpec.builder("boot").cpus(cpus).seed(1L).ops(70));
        assertEquals(cpus - 1, r.results().get("aps_found"));
        assertEquals(List.of(), r.results().get("aps_masked"));
        assertEquals(cpus, r.results().get("kip_highest_processor"));
        assertEquals(70L, r.operations());
        @SuppressWarnings("unchecked")
        Map<String, Long> trips = (Map<String, Long>) r.results().get("round_trips_by_processor");
        assertEquals(cpus - 1, trips.size());
        assertEquals(70L, trips.values().stream().mapToLong(Long::longValue).sum());
        assertEquals(70, counter(r, Kernel.C_IPC_XCPU) / 2, "every round trip crossed processors (call and reply)");
        assertEquals(cpus - 1, counter(r, SmpBoot.C_APS_UP));
        assertEquals(2L * (cpus - 1), counter(r, SmpBoot.C_STARTUP_IPIS));
        assertTrue(counter(r, SmpBoot.C_BOOT_CYCLES) > counter(r, SmpBoot.C_AP_CYCLES));
    }

    /**
     * The same boot in the X.2 ABI: processors are numbered 0..k-1 (X.2 UTCB ProcessorNo), the
     * KIP's ProcessorInfo holds k - 1 (Pistachio {@code kernelinterface.h}: processors + 1 is the
     * number of processors), and the pull scenario's moves land on processors 0..k-1.
     */
    @Test
    void theX2AbiNumbersProcessorsFromZero() {
        RunReport r = run(RunSpec.builder("boot").cpus(4).seed(2L).ops(60).failedCpus(1L << 2)
                .kernelConfig(l4smp.kernel.KernelConfig.DEFAULT.withAbi(l4smp.kernel.ipc.Abi.X2)));
        assertEquals(2, r.results().get("kip_highest_processor"));
        assertEquals(Map.of("0", "cpu0", "1", "cpu1", "2", "cpu3"), r.results().get("numbering"));
        assertEquals(java.util.Set.of("1", "2"), ((Map<?, ?>) r.results().get("round_trips_by_processor")).keySet());
        RunReport pull = run(RunSpec.builder("pull").cpus(4).seed(3L).ops(40)
                .kernelConfig(l4smp.kernel.KernelConfig.DEFAULT.withAbi(l4smp.kernel.ipc.Abi.X2)));
        assertEquals(Map.of("0", 10L, "1", 10L, "2", 10L, "3", 10L), pull.results().get("moves_to_processor"));
    }

    @Test
    void aFailedCpuIsMaskedAndTheOthersAllWork() {
        RunReport r = run(RunSpec.builder("boot").cpus(4).seed(2L).ops(60).failedCpus(1L << 2));
        assertEquals(2, r.results().get("aps_found"));
        assertEquals(List.of(2), r.results().get("aps_masked"));
        assertEquals(3, r.results().get("kip_highest_processor"));
        assertEquals(Map.of("1", "cpu0", "2", "cpu1", "3", "cpu3"), r.results().get("numbering"));
        @SuppressWarnings("unchecked")
        Map<String, Long> ap = (Map<String, Long>) r.results().get("ap_boot_cycles");
        assertTrue(ap.get("cpu2") >= SmpBoot.DEFAULT_AP_TIMEOUT_CYCLES, ap::toString);
        assertTrue(ap.get("cpu1") < SmpBoot.DEFAULT_AP_TIMEOUT_CYCLES / 10, ap::toString);
        @SuppressWarnings("unchecked")
        Map<String, Long> trips = (Map<String, Long>) r.results().get("round_trips_by_processor");
        assertEquals(Map.of("2", 30L, "3", 30L), trips);
        int switches = r.counterNames().indexOf(Kernel.C_SWITCHES);
        for (int cpu : new int[] {0, 1, 3}) {
            assertTrue(r.perCpuCounters()[cpu][switches] > 0, "CPU " + cpu + " ran threads");
        }
        assertEquals(0, r.perCpuCounters()[2][switches], "the masked CPU never ran");
        assertEquals(0, r.clocks()[2]);
        assertTrue(r.outcome().warnings().stream().anyMatch(w -> w.contains("CPU 2 did not answer")));
    }

    @Test
    void everyApFailedIsAllowedAndReported() {
        RunReport r = run(RunSpec.builder("boot").cpus(3).seed(2L).ops(10).failedCpus(0b110));
        assertEquals(0, r.results().get("aps_found"));
        assertEquals(1, r.results().get("kip_highest_processor"));
        assertEquals(0L, r.operations());
        assertTrue(r.outcome().warnings().stream().anyMatch(w -> w.contains("no application processor answered")));
    }

    @Test
    void failingTheBspOrAMissingCpuIsAClearError() {
        IllegalArgumentException bsp = assertThrows(IllegalArgumentException.class,
                () -> runner.run(RunSpec.builder("boot").cpus(4).seed(1L).failedCpus(1).build()));
        assertTrue(bsp.getMessage().startsWith("option --fail-cpu: ") && bsp.getMessage().contains("bootstrap"), bsp.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> runner.run(RunSpec.builder("boot").cpus(4).seed(1L).failedCpus(1L << 5).build()));
        assertTrue(range.getMessage().contains("CPU 5 does not exist"), range.getMessage());
        IllegalArgumentException noKernel = assertThrows(IllegalArgumentException.class,
                () -> runner.run(RunSpec.builder("ipi-pingpong").cpus(4).seed(1L).failedCpus(1L << 3).build()));
        assertTrue(noKernel.getMessage().contains("--fail-cpu"), noKernel.getMessage());
    }

    @Test
    void theBootReplaysBitForBit() {
        RunSpec.Builder spec = RunSpec.builder("boot").cpus(5).seed(9L).strategy(ScheduleStrategy.RANDOM).ops(40)
                .failedCpus(1L << 3);
        RunReport a = run(spec);
        RunReport b = run(spec);
        assertArrayEquals(a.clocks(), b.clocks());
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.results().get("ap_boot_cycles"), b.results().get("ap_boot_cycles"));
        for (int c = 0; c < a.cpus(); c++) {
            assertArrayEquals(a.perCpuCounters()[c], b.perCpuCounters()[c], "counters of CPU " + c);
        }
    }

    @Test
    void balancingPullsPartnersTogetherAndMakesRoundTripsLocal() {
        RunReport on = run(RunSpec.builder("balance").cpus(4).seed(3L).ops(400).scenarioOptions(Map.of("balance", "on")));
        RunReport off = run(RunSpec.builder("balance").cpus(4).seed(3L).ops(400).scenarioOptions(Map.of("balance", "off")));
        // Two pairs: each aborts once, gets its server pulled over, and calls locally from then on.
        assertEquals(2L, on.results().get("calls_aborted"));
        assertEquals(2L, on.results().get("migrations"));
        assertEquals(0L, on.results().get("calls_crossed"));
        assertEquals(2, counter(on, Kernel.C_XCPU_ABORTS));
        assertEquals(0L, off.results().get("migrations"));
        assertEquals(400L, off.results().get("calls_crossed"));
        assertEquals(800, counter(off, Kernel.C_IPC_XCPU), "call and reply of every round trip crossed");
        assertTrue(counter(on, Kernel.C_IPC_XCPU) < 20, () -> "balanced: only the scheduler's calls cross, "
                + counter(on, Kernel.C_IPC_XCPU));
        long onMean = (Long) on.results().get("mean_cycles_per_round_trip");
        long offMean = (Long) off.results().get("mean_cycles_per_round_trip");
        assertTrue(onMean * 3 < offMean, () -> "balanced " + onMean + " vs split " + offMean + " cycles per round trip");
        assertTrue(on.cyclesSummary().p50() < off.cyclesSummary().p50());
    }

    @Test
    void balancingByMovingTheCallerToItsPartnersProcessor() {
        RunReport r = run(RunSpec.builder("balance").cpus(4).seed(6L).ops(300)
                .scenarioOptions(Map.of("balance", "on", "move", "caller", "pairs", "3")));
        assertEquals(3L, r.results().get("calls_aborted"));
        assertEquals(3L, r.results().get("migrations"));
        assertEquals(0L, r.results().get("calls_crossed"));
        assertEquals("balanced: callers moved to their partners", r.results().get("placement"));
    }

    @Test
    void theMigratorMovesByItsMigrateThreadOverEveryProcessor() {
        RunReport r = run(RunSpec.builder("pull").cpus(3).seed(4L).ops(90));
        assertEquals(Boolean.TRUE, r.results().get("self_migration_ignored"));
        assertEquals(90L, r.results().get("moves"));
        assertEquals(Map.of("1", 30L, "2", 30L, "3", 30L), r.results().get("moves_to_processor"));
        assertEquals(90L, r.operations());
        assertTrue((Long) r.results().get("mean_cycles_per_move") > 2L * r.costModel().ipiDeliveryCycles(),
                "a move is at least a cross-processor reply and a migration");
    }

    @Test
    void pullOverAMaskedCpuUsesTheCompactedNumbers() {
        RunReport r = run(RunSpec.builder("pull").cpus(4).seed(4L).ops(30).failedCpus(1L << 1));
        assertEquals(Map.of("1", 10L, "2", 10L, "3", 10L), r.results().get("moves_to_processor"));
        int switches = r.counterNames().indexOf(Kernel.C_SWITCHES);
        assertEquals(0, r.perCpuCounters()[1][switches]);
        assertTrue(r.perCpuCounters()[3][switches] > 0);
    }
}
