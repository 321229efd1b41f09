package l4smp.emulator.cpu;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.testing.TestMachines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static l4smp.emulator.testing.TestMachines.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Spin-waits that never end, and CPUs that make no progress, are reported with a reason. */
@Timeout(60)
class StuckDetectionTest {

    @Test
    void deterministicSpinWaitIsStuckAfterMaxIterations() {
        Machine m = new Machine(config(ExecutionMode.DETERMINISTIC, 2).maxSpinIterations(100).build());
        m.cpu(0).install(TestMachines.once(cpu -> cpu.spinWaitUntil(() -> false, "the never-true test condition")));
        m.cpu(1).install(TestMachines.idle());
        Machine.RunOutcome outcome = m.run();
        assertFalse(outcome.ok());
        assertInstanceOf(CpuStuckException.class, outcome.failureCause());
        String f = outcome.failure();
        assertTrue(f.contains("the never-true test condition"), f);
        assertTrue(f.contains("CPU 0 spun 101 iterations"), f);
        assertTrue(f.contains("cpu1{"), "the report shows every CPU: " + f);
        assertEquals(101, m.counters(0).valueOpaque(Machine.C_SPIN_ITERATIONS));
    }

    @Test
    void parallelSpinWaitIsStuckAfterTheTimeout() {
        Machine m = new Machine(config(ExecutionMode.PARALLEL, 2).stuckTimeout(Duration.ofMillis(200)).build());
        m.cpu(0).install(TestMachines.once(cpu -> cpu.spinWaitUntil(() -> false, "the never-true test condition")));
        m.cpu(1).install(TestMachines.idle());
        Machine.RunOutcome outcome = m.run();
        assertFalse(outcome.ok());
        assertInstanceOf(CpuStuckException.class, outcome.failureCause());
        assertTrue(outcome.failure().contains("CPU 0 waited") && outcome.failure().contains("the never-true test condition"),
                outcome.failure());
    }

    @Test
    void parallelCpuThatMakesNoProgressIsReportedByTheWatchdog() {
        Machine m = new Machine(config(ExecutionMode.PARALLEL, 2).stuckTimeout(Duration.ofMillis(200)).build());
        m.cpu(0).install(TestMachines.once(cpu -> {
            // plain Java that never returns to the duty cycle (a user thread that never calls L4)
            while (cpu.machine().runningOpaque()) {
                Thread.onSpinWait();
            }
        }));
        m.cpu(1).install(TestMachines.idle());
        Machine.RunOutcome outcome = m.run();
        assertFalse(outcome.ok());
        assertTrue(outcome.failure().contains("CPU 0 is stuck"), outcome.failure());
    }

    @Test
    void aSpinWaitThatEndsIsNotStuck() {
        Machine m = new Machine(config(ExecutionMode.DETERMINISTIC, 2).maxSpinIterations(1_000).build());
        int[] polls = new int[1];
        m.cpu(0).install(TestMachines.once(cpu -> cpu.spinWaitUntil(() -> ++polls[0] > 50, "fifty polls")));
        m.cpu(1).install(TestMachines.idle());
        TestMachines.runOk(m);
        // poll 1 is the fast path; polls 2..50 fail, one iteration each; poll 51 succeeds
        assertEquals(49, m.counters(0).valueOpaque(Machine.C_SPIN_ITERATIONS));
        assertEquals(49L * m.config().costModel().spinIterationCycles(), m.cpu(0).clockAcquire(),
                "each iteration charges one spin iteration while no other CPU is ahead");
    }
}
