package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.cpu.Cpu;
import l4smp.kernel.api.L4;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An L4 thread that migrates between CPUs (parallel mode: its continuation resumes on another
 * host thread) always finds itself and its current CPU in every L4 call, also once its loop is
 * compiled by C2 (which takes the current host thread as fixed within a compiled frame; see
 * {@code Cpu.current()} and {@code GuestThread}). Before the fix the loop read another CPU's
 * current thread after some 10^5 migrating calls. The L4 calls find the CPU through the
 * thread's TCB ({@code L4.kernelCpu}), the emulator through the host identity: both must name
 * the CPU the thread runs on.
 */
class MigratingThreadIdentityTest {

    @Test
    void aMigratingThreadAlwaysFindsItselfAndItsCpu() {
        assertTrue(Cpu.guestIdentitySupported(), "the build and scripts open java.lang to the emulator");
        Machine machine = new Machine(MachineConfig.builder().cpus(3).pinning(false).accounting(false)
                .stuckTimeout(Duration.ofSeconds(20)).build());
        Kernel kernel = Kernel.boot(machine);
        AtomicReference<String> wrong = new AtomicReference<>();
        AtomicLong moves = new AtomicLong();
        AtomicLong rounds = new AtomicLong();
        ThreadId[] ids = new ThreadId[1];
        int total = 400_000;
        ids[0] = kernel.createThread(ThreadSpec.of("mover", 0, () -> {
            ThreadId me = L4.myself();
            for (int i = 0; i < total && wrong.get() == null; i++) {
                L4.setMr(1, i);
                long c0 = L4.clock();
                int cpu = L4.processorNumber();
                L4.compute(50);
                if (!L4.myself().equals(me) || L4.mr(1) != i) {
                    wrong.compareAndSet(null, "round " + i + ": myself " + L4.myself() + " mr1 " + L4.mr(1));
                }
                if (L4.clock() < c0 && L4.processorNumber() == cpu) {
                    wrong.compareAndSet(null, "round " + i + ": the clock of processor " + cpu + " went back");
                }
                // The L4 calls reach the CPU the thread runs on (L4 finds it through the TCB, the
                // emulator through the host identity): no trap between the two reads, one clock.
                long viaL4 = L4.clock();
                long viaEmulator = Cpu.current().clock();
                if (viaL4 != viaEmulator) {
                    wrong.compareAndSet(null, "round " + i + ": L4.clock() " + viaL4 + " is not the clock "
                            + viaEmulator + " of the CPU the thread runs on");
                }
                rounds.incrementAndGet();
            }
        }));
        kernel.createThread(ThreadSpec.daemon("migrator", 2, () -> {
            int to = 1;
            while (true) {
                L4.compute(3_000);
                if (L4.migrate(ids[0], to) >= 0) {
                    moves.incrementAndGet();
                    to = to == 1 ? 2 : 1;
                }
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "run failed: " + outcome.failure());
        assertEquals(java.util.List.of(), kernel.failures());
        assertNull(wrong.get());
        assertEquals(total, rounds.get());
        assertTrue(moves.get() > 500, "the thread moved only " + moves.get() + " times");
    }
}
