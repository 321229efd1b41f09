package l4smp.emulator.cpu;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.apic.IoApic;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.testing.TestMachines;
import l4smp.emulator.testing.TestMachines.ScriptedDispatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static l4smp.emulator.testing.TestMachines.config;
import static l4smp.emulator.testing.TestMachines.runOk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Fault injection of thesis 8.2: a CPU that never answers its startup IPI ({@link MachineConfig#failedCpus}). */
@Timeout(60)
class FailedCpuTest {

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void aFailedCpuNeverRunsAndIpisToItAreLost(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 3).failCpu(2).build());
        long[] after = new long[1];
        m.cpu(0).install(TestMachines.once(cpu -> {
            // More IPIs than a live APIC has LINT slots: nothing waits for a dead CPU's EOI.
            for (int i = 0; i < 5; i++) {
                cpu.sendIpi(1L << 2, 0x30);
            }
            after[0] = cpu.clock();
        }));
        m.cpu(1).install(TestMachines.idle());
        ScriptedDispatcher dead = TestMachines.idle();
        m.cpu(2).install(dead);
        runOk(m);
        assertEquals(5L * CostModel.PIII_450.ipiIcrWriteCycles(), after[0], "the sender pays each ICR write");
        assertEquals(5, m.counterTotal(Machine.C_IPI_SENT));
        assertEquals(0, m.counterTotal(Machine.C_IPI_TAKEN));
        assertTrue(dead.taken.isEmpty());
        assertEquals(0, m.cpu(2).clockAcquire());
        assertEquals(Cpu.STOPPED, m.cpu(2).stateAcquire());
        assertTrue(m.cpu(2).failed());
        assertFalse(m.cpu(1).failed());
        assertTrue(m.cpu(2).describe().contains("failed"), m.cpu(2).describe());
    }

    @Test
    void lowestPriorityRoutingNeverPicksAFailedCpu() {
        Machine m = new Machine(config(ExecutionMode.DETERMINISTIC, 3).failCpu(1).build());
        m.ioApic().route(0, IoApic.LOWEST_PRIORITY);
        int[] targets = new int[6];
        m.cpu(0).install(TestMachines.once(cpu -> {
            for (int i = 0; i < targets.length; i++) {
                targets[i] = m.ioApic().raise(0, cpu);
            }
        }));
        m.cpu(1).install(TestMachines.idle());
        m.cpu(2).install(TestMachines.idle());
        runOk(m);
        for (int t : targets) {
            assertTrue(t == 0 || t == 2, "routed to CPU " + t);
        }
    }

    @Test
    void theBootstrapProcessorCannotFailAndTheCpuMustExist() {
        IllegalArgumentException bsp = assertThrows(IllegalArgumentException.class,
                () -> MachineConfig.builder().cpus(2).failCpu(0).build());
        assertTrue(bsp.getMessage().contains("bootstrap processor"), bsp.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> MachineConfig.builder().cpus(2).failCpu(3).build());
        assertTrue(range.getMessage().contains("CPU 3 does not exist"), range.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.builder().failCpu(-1));
    }
}
