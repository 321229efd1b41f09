package l4smp.bench.scenarios;

import l4smp.bench.report.RunReport;
import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.emulator.ScheduleStrategy;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.TypedItems;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The syscall fuzzer: a few hundred seeds at small {@code --ops} end with every call answered
 * (no exception out of the kernel, no hang, no other space's canary, the kernel invariants
 * hold); a seed replays bit for bit; the negative control (a canary page leaked on purpose)
 * fails the run with the seed and the call; the facade-refusal classifier tells a refusal
 * from an exception out of the kernel. The long sweep is in {@code scripts/stress}.
 */
class FuzzScenarioTest {

    /** Seeds of the CI set. */
    static final int CI_SEEDS = 300;
    static final long CI_OPS = 150;
    /**
     * Seeds of the CI set that find a known kernel bug not fixed here (see the known findings in
     * {@link FuzzScenario}): kept out of CI so that it passes, and run by {@code scripts/stress}.
     */
    static final Set<Long> KNOWN_FAILING = Set.<Long>of();

    private final ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);

    private RunReport run(long seed, int cpus, long ops, Map<String, String> options) {
        return runner.run(RunSpec.builder("fuzz").cpus(cpus).seed(seed).strategy(ScheduleStrategy.RANDOM).ops(ops)
                .scenarioOptions(options).progress(false).stallCycles(50_000_000L).build());
    }

    @Test
    void everyCallEndsInAResultOrAnX2ErrorOverTheCiSeeds() {
        List<String> failed = new ArrayList<>();
        long calls = 0;
        long ipcErrors = 0;
        long refused = 0;
        long faults = 0;
        long canaryOwn = 0;
        long created = 0;
        long migrations = 0;
        long cancels = 0;
        for (long seed = 1; seed <= CI_SEEDS; seed++) {
            if (KNOWN_FAILING.contains(seed)) {
                continue;
            }
            int cpus = 2 + (int) (seed % 3);
            RunReport r = run(seed, cpus, CI_OPS, Map.of());
            if (!r.ok()) {
                failed.add("seed " + seed + " (--cpus " + cpus + "): " + r.outcome() + " " + r.kernelFailures() + " "
                        + r.results().get("calls_in_flight"));
                continue;
            }
            Map<String, Object> res = r.results();
            calls += (Long) res.get("calls");
            ipcErrors += (Long) res.get("calls_with_ipc_error");
            refused += (Long) res.get("refused_by_facade");
            faults += (Long) res.get("unresolved_faults");
            canaryOwn += (Long) res.get("canary_loads_own_value");
            created += (Long) res.get("threads_created");
            migrations += (Long) res.get("chaos_migrations");
            cancels += (Long) res.get("chaos_cancels");
        }
        assertEquals(List.of(), failed, () -> failed.size() + " seeds failed (replay: scripts/l4smp run fuzz"
                + " --cpus C --ops " + CI_OPS + " --strategy random --seed S)");
        long expected = CI_OPS * (CI_SEEDS - KNOWN_FAILING.size());
        assertEquals(expected, calls, "every call of every seed completed");
        // The fuzzer reaches the paths it claims to: errors, refusals, faults, its own canary,
        // thread creation, migrations and cancels all happened.
        List<Long> reached = List.of(ipcErrors, refused, faults, canaryOwn, created, migrations, cancels);
        assertTrue(reached.stream().allMatch(x -> x > 0), () -> "IPC errors, facade refusals, unresolved faults,"
                + " own canary loads, threads created, migrations, cancels: " + reached);
    }

    /**
     * A thread in a closed receive that a migration is moving off its CPU while its partner ends
     * elsewhere: the partner-gone IPI reaches the old CPU between the detach and the move of the
     * processor number (the old CPU waits in the migration's barriers with interrupts enabled).
     * The old CPU must leave the thread to its new CPU, which fails the receive there; failing it
     * on the old CPU made it ready there, and it ran its next IPC on the CPU it had left, queueing
     * itself into that CPU's wakeup queue (seeds found by the fuzzer: 280 failed with an
     * exception out of the wakeup queue, 764 with a continuation run after its end).
     */
    @Test
    void aThreadMigratingOffItsCpuIsNotWokenThereByItsGonePartner() {
        for (long seed : new long[] {280, 764}) {
            RunReport r = run(seed, 4, 300, Map.of());
            assertTrue(r.ok(), () -> "seed " + seed + " (--cpus 4 --ops 300): " + r.outcome() + " " + r.kernelFailures());
        }
    }

    /**
     * Map and grant items across processors: the receiver's CPU installs them under the
     * receiver's TCB lock, and their TLB shootdown must not wait under it, or a CPU spinning for
     * that lock (interrupts disabled) never acknowledges. These seeds stalled on that deadlock
     * ("waiting for TLB shootdown acknowledgements" against "waiting for a spinlock"); each at the
     * CPU count and --ops that found it (seed 238 of the same finding is in the CI set).
     */
    @Test
    void aMapAcrossProcessorsDoesNotWaitForItsShootdownUnderTheReceiversLock() {
        long[][] cases = {{469, 2, 300}, {550, 4, 300}, {700, 4, 300}, {857, 4, 300}};
        List<String> failed = new ArrayList<>();
        for (long[] c : cases) {
            RunReport r = run(c[0], (int) c[1], c[2], Map.of());
            if (!r.ok() || (Long) r.results().get("calls") != c[2]) {
                failed.add("seed " + c[0] + " (--cpus " + c[1] + " --ops " + c[2] + "): " + r.outcome() + " "
                        + r.kernelFailures());
            }
        }
        assertEquals(List.of(), failed);
    }

    @Test
    void aSeedReplaysBitForBit() {
        RunReport a = run(7, 3, 300, Map.of());
        RunReport b = run(7, 3, 300, Map.of());
        assertTrue(a.ok(), () -> a.kernelFailures().toString());
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(a.results().get("calls_with_ipc_error"), b.results().get("calls_with_ipc_error"));
        assertEquals(a.results().get("threads_created"), b.results().get("threads_created"));
        RunReport c = run(8, 3, 300, Map.of());
        assertNotEquals(a.traceHash(), c.traceHash(), "another seed, another run");
    }

    @Test
    void aLeakedCanaryFailsTheRunWithTheSeedAndTheCall() {
        RunReport r = run(3, 2, 300, Map.of("negative-control", "canary-leak"));
        assertFalse(r.ok(), "the canary check must report the leaked page");
        String f = String.join("\n", r.kernelFailures());
        assertTrue(f.contains("seed 3") && f.contains("canary 0x5ca70000") && f.contains("call #")
                && f.contains("load(") && f.contains("its last calls"), f);
    }

    @Test
    void aFacadeRefusalIsToldFromAnExceptionOutOfTheKernel() {
        IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class, () -> L4.setBr(-1, 0));
        assertTrue(FuzzScenario.refusedByFacade(refusal), refusal::toString);
        IllegalArgumentException encoder = assertThrows(IllegalArgumentException.class,
                () -> TypedItems.fpage(0x1000, 13, 7));
        assertTrue(FuzzScenario.refusedByFacade(encoder), encoder::toString);
        // The same exception type thrown inside the kernel (after the trap), or by a class that
        // is not the facade, is a failure.
        IllegalArgumentException fromKernel = new IllegalArgumentException("bad");
        fromKernel.setStackTrace(new StackTraceElement[]{
                new StackTraceElement("l4smp.kernel.api.L4", "ipc", "L4.java", 1),
                new StackTraceElement("l4smp.kernel.KernelTraps", "trap", "KernelTraps.java", 1)});
        assertFalse(FuzzScenario.refusedByFacade(fromKernel));
        IllegalArgumentException elsewhere = new IllegalArgumentException("bad");
        elsewhere.setStackTrace(new StackTraceElement[]{
                new StackTraceElement("l4smp.kernel.ipc.IpcPath", "send", "IpcPath.java", 1)});
        assertFalse(FuzzScenario.refusedByFacade(elsewhere));
        assertFalse(FuzzScenario.refusedByFacade(new IllegalArgumentException()));
    }

    @Test
    void badOptionsAreRefusedByName() {
        Scenario scenario = ScenarioSmokeTest.find("fuzz");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScenarioOptions.parse("fuzz", scenario.options(), Map.of("spaces", "0")));
        assertTrue(e.getMessage().contains("--spaces"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ScenarioOptions.parse("fuzz", scenario.options(), Map.of("negative-control", "boom")));
        assertTrue(e.getMessage().contains("--negative-control"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> run(1, 2, 100,
                Map.of("cancel-after", "5000000", "hang", "1000000")));
        assertTrue(e.getMessage().contains("--cancel-after"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> run(1, 2, 100,
                Map.of("spaces", "1", "negative-control", "canary-leak")));
        assertTrue(e.getMessage().contains("--negative-control"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> run(1, 4, 3, Map.of()));
        assertTrue(e.getMessage().contains("--ops"), e.getMessage());
    }
}
