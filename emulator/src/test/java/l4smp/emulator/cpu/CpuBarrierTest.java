package l4smp.emulator.cpu;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.ScheduleStrategy;
import l4smp.emulator.testing.TestMachines;
import l4smp.emulator.testing.TestMachines.ScriptedDispatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static l4smp.emulator.testing.TestMachines.config;
import static l4smp.emulator.testing.TestMachines.runOk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class CpuBarrierTest {

    /**
     * Every CPU passes ROUNDS barrier rounds with uneven work between them; leaving round r, a
     * CPU must see every party arrived at r and nobody arrived at r + 1 beyond those who left.
     */
    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void noCpuLeavesARoundBeforeAllArrived(ExecutionMode mode) {
        int cpus = 3;
        int rounds = 200;
        Machine m = new Machine(config(mode, cpus, 11).strategy(ScheduleStrategy.RANDOM).build());
        CpuBarrier barrier = new CpuBarrier(cpus);
        AtomicIntegerArray arrived = new AtomicIntegerArray(rounds);
        AtomicInteger violations = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        for (int i = 0; i < cpus; i++) {
            int[] round = new int[1];
            m.cpu(i).install(new ScriptedDispatcher(cpu -> {
                int r = round[0];
                if (r == rounds) {
                    return 0;
                }
                cpu.advance(10L * (cpu.index() + 1) * (r % 5 + 1));
                arrived.incrementAndGet(r);
                barrier.await(cpu, "round");
                if (arrived.get(r) != cpus) {
                    violations.incrementAndGet();
                }
                round[0]++;
                if (round[0] == rounds) {
                    finished.incrementAndGet();
                }
                return 1;
            }));
        }
        runOk(m);
        assertEquals(0, violations.get());
        assertEquals(cpus, finished.get());
        for (int r = 0; r < rounds; r++) {
            assertEquals(cpus, arrived.get(r));
        }
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void aMissingPartyIsReportedStuckByName(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).maxSpinIterations(200)
                .stuckTimeout(java.time.Duration.ofMillis(200)).build());
        CpuBarrier barrier = new CpuBarrier(3); // only two CPUs will ever arrive
        for (int i = 0; i < 2; i++) {
            m.cpu(i).install(TestMachines.once(cpu -> barrier.await(cpu, "boot-ap")));
        }
        Machine.RunOutcome outcome = m.run();
        assertFalse(outcome.ok());
        assertTrue(outcome.failure().contains("barrier 'boot-ap' (3 parties)"), outcome.failure());
    }

    @Test
    void singlePartyPassesAndBadPartiesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new CpuBarrier(0));
        assertEquals(4, new CpuBarrier(4).parties());
        Machine m = new Machine(config(ExecutionMode.DETERMINISTIC, 1).build());
        CpuBarrier one = new CpuBarrier(1);
        int[] passed = new int[1];
        m.cpu(0).install(new ScriptedDispatcher(cpu -> {
            if (passed[0] == 5) {
                return 0;
            }
            one.await(cpu, "alone");
            passed[0]++;
            return 1;
        }));
        runOk(m);
        assertEquals(5, passed[0]);
        assertTrue(m.counters(0).valueOpaque(Machine.C_SPIN_ITERATIONS) == 0);
    }
}
