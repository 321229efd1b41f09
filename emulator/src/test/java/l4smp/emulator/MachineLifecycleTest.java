package l4smp.emulator;

import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.testing.TestMachines;
import l4smp.emulator.testing.TestMachines.ScriptedDispatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.atomic.AtomicInteger;

import static l4smp.emulator.testing.TestMachines.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class MachineLifecycleTest {

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void aQuiescentMachineEnds(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 3).build());
        m.installAll(cpu -> TestMachines.once(c -> c.advance(1_000 * (c.index() + 1))));
        Machine.RunOutcome outcome = m.run();
        assertTrue(outcome.ok(), outcome::toString);
        assertEquals("quiescent", outcome.stopReason());
        assertEquals(3_000, m.maxClockAcquire());
        for (int i = 0; i < 3; i++) {
            assertEquals(Cpu.STOPPED, m.cpu(i).stateAcquire());
        }
    }

    /** Dispatcher contract: onStart and onStop run once per CPU, on that CPU, in both modes. */
    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void onStartAndOnStopRunOncePerCpu(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 3).build());
        AtomicInteger starts = new AtomicInteger();
        AtomicInteger stops = new AtomicInteger();
        AtomicInteger wrongCpu = new AtomicInteger();
        m.installAll(cpu -> new ScriptedDispatcher(c -> 0) {
            @Override
            public void onStart(Cpu c) {
                starts.incrementAndGet();
                if (Cpu.current() != c) {
                    wrongCpu.incrementAndGet();
                }
            }

            @Override
            public void onStop(Cpu c) {
                stops.incrementAndGet();
                if (Cpu.current() != c || c != cpu) {
                    wrongCpu.incrementAndGet();
                }
            }
        });
        TestMachines.runOk(m);
        assertEquals(3, starts.get());
        assertEquals(3, stops.get());
        assertEquals(0, wrongCpu.get());
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void theQuiescenceHandlerDecides(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).build());
        m.installAll(cpu -> TestMachines.idle());
        AtomicInteger calls = new AtomicInteger();
        m.setQuiescenceHandler(machine -> {
            calls.incrementAndGet();
            machine.fail("nothing happened", null);
        });
        Machine.RunOutcome outcome = m.run();
        assertFalse(outcome.ok());
        assertEquals("nothing happened", outcome.failure());
        assertEquals(1, calls.get());
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void aThrowingDispatcherFailsTheRunWithItsMessage(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).build());
        m.cpu(0).install(TestMachines.idle());
        m.cpu(1).install(TestMachines.once(cpu -> {
            throw new IllegalStateException("dispatcher exploded");
        }));
        Machine.RunOutcome outcome = m.run();
        assertFalse(outcome.ok());
        assertTrue(outcome.failure().contains("CPU 1 failed"), outcome.failure());
        assertTrue(outcome.failure().contains("dispatcher exploded"), outcome.failure());
        assertTrue(outcome.failureCause() instanceof IllegalStateException);
        assertEquals("failed", outcome.stopReason());
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void requestStopEndsARunThatWouldGoOn(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).build());
        m.cpu(0).install(new ScriptedDispatcher(cpu -> {
            cpu.advance(10);
            if (cpu.clock() == 10_000) {
                cpu.machine().requestStop("enough");
            }
            cpu.interleave();
            return 1;
        }));
        m.cpu(1).install(TestMachines.idle());
        Machine.RunOutcome outcome = m.run();
        assertTrue(outcome.ok());
        assertEquals("enough", outcome.stopReason());
        assertEquals(10_000, m.cpu(0).clockAcquire());
    }

    @Test
    void aMachineRunsOnceAndNeedsEveryDispatcher() {
        Machine m = new Machine(config(ExecutionMode.DETERMINISTIC, 2).build());
        m.cpu(0).install(TestMachines.idle());
        assertThrows(IllegalStateException.class, () -> m.cpu(0).install(TestMachines.idle()));
        String msg = assertThrows(IllegalStateException.class, m::run).getMessage();
        assertTrue(msg.contains("CPU 1 has no dispatcher"), msg);

        Machine ok = new Machine(config(ExecutionMode.DETERMINISTIC, 1).build());
        ok.cpu(0).install(TestMachines.idle());
        TestMachines.runOk(ok);
        assertThrows(IllegalStateException.class, ok::run);
    }

    @Test
    void countersAreRegisteredBeforeTheRunOnly() {
        Machine m = new Machine(config(ExecutionMode.DETERMINISTIC, 1).build());
        int idx = m.counterNames().register("test.things");
        assertEquals(idx, m.counterNames().register("test.things"));
        m.cpu(0).install(TestMachines.once(cpu -> cpu.counters().add(idx, 5)));
        TestMachines.runOk(m);
        assertEquals(5, m.counterTotal("test.things"));
        assertThrows(IllegalStateException.class, () -> m.counterNames().register("test.late"));
        assertThrows(IllegalArgumentException.class, () -> m.counterTotal("test.unknown"));
    }
}
