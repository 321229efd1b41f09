package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.emulator.cost.CostModel;
import l4smp.kernel.api.KernelInfoPage;
import l4smp.kernel.api.L4;
import l4smp.kernel.boot.SmpBoot;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SMP boot of thesis 8.2 on the simulated machine ({@link SmpBoot}). */
class SmpBootTest {

    private static final CostModel COST = CostModel.PIII_450;

    private static MachineConfig.Builder config(int cpus, long seed) {
        // Accounting off: the boot's cycles are then the IPI figures, the startup estimate and
        // the BSP's poll delay only, so the test can derive them exactly.
        return MachineConfig.builder().cpus(cpus).pinning(false).accounting(false).deterministic(seed)
                .stuckTimeout(Duration.ofSeconds(10));
    }

    /** The BSP's cycles for one AP that answers: two ICR writes, then polls until the AP took its number. */
    private static long answeredApCycles() {
        long icr = 2L * COST.ipiIcrWriteCycles();
        long answer = COST.ipiDeliveryCycles() + SmpBoot.DEFAULT_AP_INIT_CYCLES;
        long polls = (answer + SmpBoot.POLL_CYCLES - 1) / SmpBoot.POLL_CYCLES;
        if (polls * SmpBoot.POLL_CYCLES == answer) {
            polls++; // the poll at the very cycle of the answer runs before it (lowest clock, BSP first)
        }
        return icr + polls * SmpBoot.POLL_CYCLES;
    }

    /** One thread per processor index notes the processor number its UTCB shows. */
    private static ConcurrentHashMap<Integer, Integer> threadPerProcessor(Kernel kernel, int indices) {
        ConcurrentHashMap<Integer, Integer> seen = new ConcurrentHashMap<>();
        for (int l = 0; l < indices; l++) {
            int index = l;
            kernel.createThread(ThreadSpec.of("t" + l, l, () -> seen.put(index, L4.processorNumber())));
        }
        return seen;
    }

    private static void runClean(Machine machine, Kernel kernel) {
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "run failed: " + outcome.failure());
        assertTrue(kernel.failures().isEmpty(), () -> "threads failed: " + kernel.failures());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8})
    void everyProcessorComesUpAndRunsItsThread(int cpus) {
        Machine machine = new Machine(config(cpus, 1).build());
        Kernel kernel = Kernel.boot(machine);
        ConcurrentHashMap<Integer, Integer> seen = threadPerProcessor(kernel, cpus);
        runClean(machine, kernel);
        SmpBoot boot = kernel.smpBoot();
        assertEquals(cpus, kernel.kernelInfoPage().word(KernelInfoPage.PROCESSORS_OFFSET));
        assertEquals(cpus, kernel.highestProcessor());
        assertEquals(List.of(), boot.maskedCpus());
        for (int l = 0; l < cpus; l++) {
            assertEquals(l + 1, seen.get(l), "thread of index " + l);
            assertEquals(l, boot.physicalOfPlain(l));
        }
        long[] ap = boot.apBootCycles();
        assertEquals(-1, ap[0], "the BSP boots itself");
        for (int p = 1; p < cpus; p++) {
            assertEquals(answeredApCycles(), ap[p], "BSP cycles for AP " + p);
        }
        assertEquals(2L * (cpus - 1), machine.counters(0).valueOpaque(machine.counterNames().indexOf(SmpBoot.C_STARTUP_IPIS)));
        assertEquals(cpus - 1, machine.counterTotal(SmpBoot.C_APS_UP));
        assertEquals(0, machine.counterTotal(SmpBoot.C_APS_MASKED));
        assertEquals((cpus - 1) * answeredApCycles(), machine.counterTotal(SmpBoot.C_AP_CYCLES));
        // The boot ends after every AP was started and released: at least the AP cycles plus
        // the release IPI's delivery.
        assertTrue(boot.bootCycles() >= (cpus - 1) * answeredApCycles() + COST.ipiDeliveryCycles(),
                () -> "boot cycles " + boot.bootCycles());
        assertEquals(boot.bootCycles(), machine.counterTotal(SmpBoot.C_BOOT_CYCLES));
    }

    @Test
    void aFailedApIsMaskedOutAndTheNumberingCompacted() {
        Machine machine = new Machine(config(4, 3).failCpu(2).build());
        Kernel kernel = Kernel.boot(machine);
        ConcurrentHashMap<Integer, Integer> seen = threadPerProcessor(kernel, 3);
        AtomicInteger refused = new AtomicInteger(-1);
        AtomicInteger migrated = new AtomicInteger(-1);
        int[] landed = new int[1];
        ThreadId sleeper = kernel.createThread(ThreadSpec.daemon("sleeper", 1, () -> {
            while (true) {
                L4.sleep(1_000_000);
            }
        }));
        kernel.createThread(new ThreadSpec("scheduler", 0, 200, false, () -> {
            L4.sleep(10_000);
            // Processor 4 would be physical CPU 3 without the masking; with it there are 3.
            L4.migrate(sleeper, 4);
            refused.set(L4.errorCode());
            migrated.set(L4.migrate(sleeper, 3));
            landed[0] = kernel.lookup(sleeper).cpuAcquire();
        }));
        runClean(machine, kernel);
        SmpBoot boot = kernel.smpBoot();
        assertEquals(List.of(2), boot.maskedCpus());
        assertEquals(List.of(0, 1, 3), boot.liveCpus());
        assertEquals(3, kernel.kernelInfoPage().highestProcessorNumber());
        assertEquals(0, kernel.processorNumber(2), "the masked CPU has no number");
        assertEquals(4, kernel.processorNumber(3) + 1, "physical 3 is processor 3");
        assertEquals(3, kernel.physicalCpu(3));
        assertEquals(-1, kernel.physicalCpu(4));
        for (int l = 0; l < 3; l++) {
            assertEquals(l + 1, seen.get(l), "thread of index " + l);
        }
        assertEquals(5, refused.get(), "migration to a masked processor: invalid (error 5)");
        assertTrue(migrated.get() >= 0, "migration to processor 3 done");
        assertEquals(3, landed[0], "processor 3 is physical CPU 3");
        long[] ap = kernel.smpBoot().apBootCycles();
        long timeout = SmpBoot.DEFAULT_AP_TIMEOUT_CYCLES;
        long polls = (timeout + SmpBoot.POLL_CYCLES - 1) / SmpBoot.POLL_CYCLES;
        assertEquals(2L * COST.ipiIcrWriteCycles() + polls * SmpBoot.POLL_CYCLES, ap[2], "the BSP gives up after the timeout");
        assertEquals(answeredApCycles(), ap[3]);
        assertEquals(1, machine.counterTotal(SmpBoot.C_APS_MASKED));
        assertEquals(2, machine.counterTotal(SmpBoot.C_APS_UP));
        // Every live CPU ran threads; the masked one never ran at all.
        for (int p : List.of(0, 1, 3)) {
            assertTrue(machine.counters(p).valueOpaque(machine.counterNames().indexOf(Kernel.C_SWITCHES)) > 0, "CPU " + p);
        }
        assertEquals(0, machine.cpu(2).clockAcquire());
        assertEquals(0, machine.counters(2).valueOpaque(machine.counterNames().indexOf(Kernel.C_SWITCHES)));
        assertTrue(machine.outcome().warnings().stream().anyMatch(w -> w.contains("CPU 2 did not answer")),
                machine.outcome().warnings()::toString);
    }

    @Test
    void anXpIpcAbortReturnsTheCompactedProcessorNumber() {
        Machine machine = new Machine(config(3, 5).failCpu(1).build());
        Kernel kernel = Kernel.boot(machine);
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 1, () -> {
            L4.waitAny();
            while (true) {
                L4.replyWait(L4.from(), MsgTag.make(0, 0));
            }
        }));
        int[] result = new int[2];
        kernel.createThread(ThreadSpec.of("client", 0, () -> {
            int tag = L4.call(server, MsgTag.make(0, 0) | MsgTag.XCPU_ABORT_FLAG);
            result[0] = MsgTag.isError(tag) ? IpcError.code(L4.errorCode()) : -1;
            result[1] = L4.xpPartnerProcessor();
        }));
        runClean(machine, kernel);
        assertEquals(List.of(0, 2), kernel.smpBoot().liveCpus());
        assertEquals(IpcError.ABORTED, result[0]);
        assertEquals(2, result[1], "the server's processor number (physical CPU 2)");
    }

    @Test
    void aThreadForAProcessorThatDidNotComeUpFailsWithAReport() {
        Machine machine = new Machine(config(3, 1).failCpu(2).build());
        Kernel kernel = Kernel.boot(machine);
        kernel.createThread(ThreadSpec.of("fine", 0, () -> L4.compute(10)));
        kernel.createThread(ThreadSpec.of("orphan", 2, () -> L4.compute(10)));
        assertTrue(machine.run().ok());
        assertEquals(1, kernel.failures().size(), kernel.failures()::toString);
        String report = kernel.failures().get(0);
        assertTrue(report.contains("orphan") && report.contains("processor index 2")
                && report.contains("only 2 processors came up"), report);
    }

    @Test
    void failingTheBspOrANonexistentCpuIsAClearError() {
        IllegalArgumentException bsp = assertThrows(IllegalArgumentException.class,
                () -> config(4, 1).failCpu(0).build());
        assertTrue(bsp.getMessage().contains("bootstrap processor"), bsp.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> config(4, 1).failCpu(4).build());
        assertTrue(range.getMessage().contains("CPU 4 does not exist"), range.getMessage());
    }

    @Test
    void everyApFailedLeavesTheBspAlone() {
        Machine machine = new Machine(config(3, 1).failedCpus(0b110).build());
        Kernel kernel = Kernel.boot(machine);
        ConcurrentHashMap<Integer, Integer> seen = threadPerProcessor(kernel, 1);
        runClean(machine, kernel);
        assertEquals(1, kernel.highestProcessor());
        assertEquals(List.of(1, 2), kernel.smpBoot().maskedCpus());
        assertEquals(1, seen.get(0));
        assertTrue(machine.outcome().warnings().stream().anyMatch(w -> w.contains("no application processor answered")));
    }

    @Test
    void anApThatAnswersAfterTheTimeoutStaysHaltedAndMasked() {
        // A timeout shorter than the IPI delivery: every AP answers too late. The claim race of
        // StartupHandshake makes each of them halt instead of taking a number.
        Machine machine = new Machine(config(3, 1).build());
        Kernel kernel = Kernel.boot(machine);
        kernel.smpBoot().setApTimeoutCycles(100);
        int[] number = new int[1];
        kernel.createThread(ThreadSpec.of("booter", 0, () -> {
            L4.compute(100_000); // long enough for the late APs to answer
            number[0] = L4.processorNumber();
        }));
        runClean(machine, kernel);
        assertEquals(1, kernel.highestProcessor());
        assertEquals(List.of(1, 2), kernel.smpBoot().maskedCpus());
        assertEquals(1, number[0]);
        assertEquals(2, machine.outcome().warnings().stream().filter(w -> w.contains("after the bootstrap processor's timeout")).count(),
                machine.outcome().warnings()::toString);
    }

    @Test
    void bootConfigurationIsValidated() {
        Kernel kernel = Kernel.boot(new Machine(config(2, 1).build()));
        assertThrows(IllegalArgumentException.class, () -> kernel.smpBoot().setApTimeoutCycles(0));
        assertThrows(IllegalArgumentException.class, () -> kernel.smpBoot().setApInitCycles(-1));
    }

    @Test
    void theBootReplaysBitForBit() {
        long[] hashes = new long[2];
        long[][] clocks = new long[2][];
        for (int run = 0; run < 2; run++) {
            Machine machine = new Machine(config(6, 42).failCpu(3).strategy(ScheduleStrategy.RANDOM).captureTrace(true).build());
            Kernel kernel = Kernel.boot(machine);
            threadPerProcessor(kernel, 5);
            runClean(machine, kernel);
            hashes[run] = machine.traceHash();
            clocks[run] = new long[6];
            for (int i = 0; i < 6; i++) {
                clocks[run][i] = machine.cpu(i).clockAcquire();
            }
            assertEquals(List.of(0, 1, 2, 4, 5), kernel.smpBoot().liveCpus());
        }
        assertEquals(hashes[0], hashes[1]);
        assertArrayEquals(clocks[0], clocks[1]);
    }

    @Test
    void parallelModeBootsToo() {
        Machine machine = new Machine(MachineConfig.builder().cpus(4).pinning(false).failCpu(1)
                .stuckTimeout(Duration.ofSeconds(10)).build());
        Kernel kernel = Kernel.boot(machine);
        ConcurrentHashMap<Integer, Integer> seen = threadPerProcessor(kernel, 3);
        runClean(machine, kernel);
        assertEquals(List.of(0, 2, 3), kernel.smpBoot().liveCpus());
        assertEquals(3, seen.size());
        assertFalse(seen.containsValue(4));
    }
}
