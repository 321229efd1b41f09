package l4smp.emulator.cpu;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.testing.TestMachines;
import l4smp.emulator.testing.TestMachines.ScriptedDispatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicInteger;

import static l4smp.emulator.testing.TestMachines.config;
import static l4smp.emulator.testing.TestMachines.runOk;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Two CPUs that spin-wait on each other at the same time (parallel mode, exact timing): each
 * sends the other an IPI and then waits, interrupts enabled, for a word that only the other's
 * interrupt handler sets. Neither wait can end before an IPI arrives (40 cycles of ICR write
 * plus 1,030 of delivery, thesis 3.3.1); each check of one CPU may go on while the other only
 * spins, and both waits still end at the first check after the store, the same cycles in every
 * run. (The seeded stepper moves a spinning CPU's clock to the others' instead of by one
 * iteration: there the same runs end later, at 1,178 and 1,178 for lead 0.)
 */
@Timeout(60)
class SpinWaitExactTest {

    /** The cycles of one run: per CPU the handler's clock, the end of its wait, its spin iterations. */
    private static long[] run(ExecutionMode mode, int lead) {
        Machine m = new Machine(config(mode, 2).build());
        AtomicInteger[] released = {new AtomicInteger(), new AtomicInteger()};
        long[] out = new long[6];
        for (int i = 0; i < 2; i++) {
            int self = i;
            int partner = 1 - i;
            ScriptedDispatcher d = new ScriptedDispatcher(TestMachines.once(cpu -> {
                cpu.advance(self == 1 ? lead : 0);
                cpu.sendIpi(1L << partner, 0x41);
                cpu.spinWaitUntil(() -> released[self].getAcquire() == 1, "the partner's handler", true);
                out[2 + self] = cpu.clock();
            })::doWork) {
                @Override
                protected void handled(Cpu cpu, Interrupt interrupt) {
                    out[self] = cpu.clock();
                    cpu.advance(50);
                    cpu.interleave(); // the store below is shared state
                    released[partner].setRelease(1);
                }
            };
            m.cpu(i).install(d);
        }
        runOk(m);
        out[4] = m.counters(0).valueOpaque(Machine.C_SPIN_ITERATIONS);
        out[5] = m.counters(1).valueOpaque(Machine.C_SPIN_ITERATIONS);
        return out;
    }

    /**
     * CPU 0 sends at 0, CPU 1 at {@code lead}; each IPI is stamped 40 cycles later and arrives
     * 1,030 after that. Each CPU checks at its send's end and then every 3 cycles (PIII_450's
     * spin iteration), takes its IPI after the first iteration at or past the arrival, and its
     * handler stores the partner's word 50 cycles later; a check at cycle g of CPU i sees a
     * store of CPU j at cycle w when (w, j) comes before (g, i).
     * <ul>
     *   <li>lead 0: both take their IPI at 40 + 3 * 344 = 1072 and store at 1122; CPU 1's check
     *       at 1122 sees CPU 0's store (CPU 0 first at a tie), CPU 0's at 1122 does not, its next
     *       at 1125 does: 345 and 344 iterations.</li>
     *   <li>lead 100: CPU 1 checks from 140, takes its IPI (arrival 1070) at 140 + 3 * 310 =
     *       1070, stores at 1120; CPU 0 sees it at 40 + 3 * 361 = 1123, before its own IPI
     *       arrives (1170): 361 iterations; it takes that IPI idle at 1170 and stores at 1220,
     *       which CPU 1, checking again from 1120, sees at 1120 + 3 * 34 = 1222: 344 iterations.</li>
     * </ul>
     */
    @Test
    void twoCpusSpinningOnEachOtherEndTheirWaitsAtTheFirstCheckAfterTheStore() {
        long[][] expected = {
                {1_072, 1_072, 1_125, 1_122, 345, 344},
                {1_170, 1_070, 1_123, 1_222, 361, 344}};
        int[] leads = {0, 100};
        for (int l = 0; l < leads.length; l++) {
            for (int rep = 0; rep < 5; rep++) {
                assertArrayEquals(expected[l], run(ExecutionMode.PARALLEL, leads[l]),
                        "lead " + leads[l] + ", repetition " + rep);
            }
        }
    }
}
