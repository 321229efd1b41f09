package l4smp.emulator;

import static l4smp.emulator.testing.TestMachines.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.DirectoryMode;
import l4smp.emulator.testing.TestMachines;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The accounting layer's directory mode follows the machine's host threads: one host thread
 * (deterministic mode, or parallel mode with one CPU) gets {@link DirectoryMode#SINGLE_WRITER},
 * two or more CPU threads get {@link DirectoryMode#CONCURRENT}, and a machine refuses to start
 * several CPU threads on a single-writer layer.
 */
@Timeout(60)
class MachineDirectoryModeTest {

    @ParameterizedTest(name = "{0} {1} CPUs: {2}")
    @CsvSource({
            "DETERMINISTIC, 1, SINGLE_WRITER",
            "DETERMINISTIC, 4, SINGLE_WRITER",
            "PARALLEL, 1, SINGLE_WRITER",
            "PARALLEL, 2, CONCURRENT",
            "PARALLEL, 3, CONCURRENT"})
    void theLayerOfAMachineHasTheModeOfItsHostThreads(ExecutionMode mode, int cpus, DirectoryMode expected) {
        Machine m = new Machine(config(mode, cpus).build());
        assertEquals(expected, m.memorySystem().directoryMode());
        assertEquals(expected, m.memorySystem().directory().mode());
    }

    @Test
    void aMachineWithoutAccountingHasNoLayer() {
        assertNull(new Machine(config(ExecutionMode.PARALLEL, 2).accounting(false).build()).memorySystem());
    }

    @Test
    void severalCpuThreadsOnASingleWriterLayerAreRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Machine.checkDirectoryMode(DirectoryMode.SINGLE_WRITER, 2));
        assertTrue(e.getMessage().contains("SINGLE_WRITER") && e.getMessage().contains("2 CPU threads"), e.getMessage());
        Machine.checkDirectoryMode(DirectoryMode.SINGLE_WRITER, 1);
        Machine.checkDirectoryMode(DirectoryMode.CONCURRENT, 64);
        Machine.checkDirectoryMode(null, 64);
    }

    /** Three CPU threads share lines through the concurrent directory; the invariants hold after. */
    @Test
    void aParallelMachineOfThreeCpusSharesLinesThroughTheConcurrentDirectory() {
        Machine m = new Machine(config(ExecutionMode.PARALLEL, 3).build());
        long shared = m.kernelRegion().allocateLines(1, "shared");
        m.installAll(cpu -> TestMachines.once(c -> {
            for (int i = 0; i < 1000; i++) {
                c.advance(m.memorySystem().access(c.index(), shared, i % 3 == 0 ? AccessKind.WRITE : AccessKind.READ));
            }
        }));
        Machine.RunOutcome outcome = m.run();
        assertTrue(outcome.ok(), outcome::toString);
        assertEquals(DirectoryMode.CONCURRENT, m.memorySystem().directoryMode());
        m.memorySystem().checkInvariants().orThrow();
    }
}
