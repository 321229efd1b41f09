package l4smp.bench.reproduce;

import l4smp.emulator.cost.CostModel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** D5 (appendix A) with the kernel's own spin lock: invalidation counts only. */
class SpinlockExperimentTest {

    @Test
    void theKernelsLockCausesFarFewerInvalidationsThanTas() {
        SpinlockExperiment.Result tas = SpinlockExperiment.run(CostModel.PIII_450,
                SpinlockExperiment.Variant.TEST_AND_SET, 4);
        SpinlockExperiment.Result ttas = SpinlockExperiment.run(CostModel.PIII_450,
                SpinlockExperiment.Variant.KERNEL_TTAS, 4);
        System.err.println("D5: " + tas + " / " + ttas);
        long expected = 4L * SpinlockExperiment.ACQUISITIONS * SpinlockExperiment.CRITICAL_STEPS;
        assertEquals(expected, tas.counter());
        assertEquals(expected, ttas.counter());
        // TAS: every failed spin is a locked RMW; the kernel's lock spins on reads.
        assertTrue(tas.busLocks() > ttas.busLocks(), tas + " " + ttas);
        ReproduceRow row = SpinlockExperiment.d5(CostModel.PIII_450);
        System.err.println(row);
        assertTrue(row.holds(), row::toString);
    }
}
