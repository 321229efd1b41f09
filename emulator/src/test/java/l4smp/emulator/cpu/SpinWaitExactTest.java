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
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two CPUs that spin-wait on each other at the same time: each sends the other an IPI and then
 * waits, interrupts enabled, for a word that only the other's interrupt handler sets. Neither
 * wait can end before an IPI arrives (40 cycles of ICR write plus 1,030 of delivery, thesis
 * 3.3.1); in parallel mode (exact timing) each check of one CPU may go on while the other only
 * spins, and both waits still end at the first check after the store, the same cycles in every
 * run. The seeded stepper (lowest clock) applies the same rule and ends the waits at the same
 * checks, with the same iteration counts; so does a spin-wait released by a writer that
 * computes on after its store.
 */
@Timeout(60)
class SpinWaitExactTest {

    /** The cycles of one run: per CPU the handler's clock, the end of its wait, its spin iterations. */
    private static long[] run(ExecutionMode mode, int lead) {
        return run(mode, lead, 1);
    }

    private static long[] run(ExecutionMode mode, int lead, long seed) {
        Machine m = new Machine(config(mode, 2, seed).build());
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

    /**
     * The seeded runs end the waits at the checks of the parallel runs, with the same iteration
     * counts, for every seed, where no write shares a cycle with a check of the other CPU (at
     * lead 0 and lead 100 above, CPU 0's check at 1122 or 1120 ties with CPU 1's store, and the
     * stepper breaks a tie by its seed: see the next test). Lead 1: CPU 1 sends at 1 (stamped 41,
     * arriving at CPU 0 at 1,071) and checks at 41 + 3k. CPU 1 takes CPU 0's IPI (arrival
     * 1,070) at 41 + 3 * 343 = 1070 and stores at 1120; CPU 0 takes its IPI at 40 + 3 * 344 =
     * 1072 and stores at 1122, and its check there sees CPU 1's store (344 iterations); CPU 1's
     * check at 1120 misses CPU 0's store, its next at 1123 sees it (344). No two events share a
     * cycle, so the stepper's seed cannot matter. Lead 101: CPU 1 checks at 141 + 3k, takes
     * CPU 0's IPI at 141 + 3 * 310 = 1071 and stores at 1121; CPU 0 sees that at its first check
     * at or after it, 40 + 3 * 361 = 1123 (361 iterations), before its own IPI arrives (1,171);
     * it takes that idle at 1171 and stores at 1221, which CPU 1, checking again from 1121,
     * sees at 1121 + 3 * 34 = 1223 (310 + 34 = 344 iterations).
     */
    @Test
    void seededRunsEndTheWaitsAtTheParallelChecks() {
        long[][] expected = {
                {1_072, 1_070, 1_122, 1_123, 344, 344},
                {1_171, 1_071, 1_123, 1_223, 361, 344}};
        int[] leads = {1, 101};
        for (int l = 0; l < leads.length; l++) {
            assertArrayEquals(expected[l], run(ExecutionMode.PARALLEL, leads[l]), "parallel, lead " + leads[l]);
            for (long seed = 1; seed <= 6; seed++) {
                assertArrayEquals(expected[l], run(ExecutionMode.DETERMINISTIC, leads[l], seed),
                        "seeded, lead " + leads[l] + ", seed " + seed);
            }
        }
    }

    /**
     * Lead 0: both handlers store at 1122, a tie. Parallel mode lets CPU 0 go first (its check
     * at 1122 misses CPU 1's store); the stepper breaks the tie by its seed, so each seeded run
     * ends each wait at 1122 (344 iterations) or at the next check, 1125 (345): the parallel
     * outcome, its mirror, or both CPUs seeing the other's store at 1122. Never later.
     */
    @Test
    void seededRunsDifferFromParallelOnlyByTheTieOrder() {
        long[][] allowed = {
                {1_072, 1_072, 1_125, 1_122, 345, 344},
                {1_072, 1_072, 1_122, 1_125, 344, 345},
                {1_072, 1_072, 1_122, 1_122, 344, 344}};
        for (long seed = 1; seed <= 8; seed++) {
            long[] got = run(ExecutionMode.DETERMINISTIC, 0, seed);
            boolean match = false;
            for (long[] a : allowed) {
                match |= java.util.Arrays.equals(a, got);
            }
            assertTrue(match, "seed " + seed + ": " + java.util.Arrays.toString(got));
        }
    }

    /** The spinner's end of wait and its spin iterations, the writer's clock at the end. */
    private static long[] runWriterComputesOn(ExecutionMode mode, long seed) {
        Machine m = new Machine(config(mode, 2, seed).build());
        long word = 0x1000;
        long[] out = new long[3];
        m.cpu(0).install(TestMachines.once(cpu -> {
            cpu.spinWaitUntil(() -> m.physicalMemory().intAcquire(word) == 1, "the writer's store");
            out[0] = cpu.clock();
        }));
        m.cpu(1).install(TestMachines.once(cpu -> {
            cpu.advance(100);
            cpu.storeInt(word, 1); // at cycle 100, its interleaving point; the charge follows
            cpu.advance(1_000);    // computes on
            cpu.interleave();      // its next interleaving point
            out[2] = cpu.clock();
        }));
        runOk(m);
        out[1] = m.counters(0).valueOpaque(Machine.C_SPIN_ITERATIONS);
        return out;
    }

    /**
     * CPU 1 stores the word at cycle 100 (its interleaving point; the store's data is written
     * before its charge, Cpu.storeInt) and then computes 1,000 cycles more before its next
     * interleaving point. CPU 0 checks at 0, 3, 6, ... (PIII_450's spin iteration, 3 cycles,
     * CostModel): the checks up to 99 fail (34 iterations) and the check at 102, the first at
     * or after the store, sees it. In both modes, for every seed; the writer's later clock does
     * not move the end of the wait.
     */
    @Test
    void aSpinWaitEndsAtTheFirstCheckAfterTheStoreWhenTheWriterComputesOn() {
        long[] parallel = runWriterComputesOn(ExecutionMode.PARALLEL, 1);
        assertEquals(102, parallel[0], "parallel end of the wait");
        assertEquals(34, parallel[1], "parallel spin iterations");
        for (long seed = 1; seed <= 6; seed++) {
            long[] seeded = runWriterComputesOn(ExecutionMode.DETERMINISTIC, seed);
            assertEquals(102, seeded[0], "seeded end of the wait, seed " + seed);
            assertEquals(34, seeded[1], "seeded spin iterations, seed " + seed);
            assertEquals(parallel[2], seeded[2], "the writer's clock, seed " + seed);
        }
    }

    /** The spinner's end of wait and spin iterations when the writer stores at an order point. */
    private static long[] runWriterAtOrderPoint(ExecutionMode mode, long seed) {
        Machine m = new Machine(config(mode, 2, seed).build());
        java.util.concurrent.atomic.AtomicInteger word = new java.util.concurrent.atomic.AtomicInteger();
        long[] out = new long[2];
        m.cpu(0).install(TestMachines.once(cpu -> {
            cpu.spinWaitUntil(() -> word.getAcquire() == 1, "the writer's order point");
            out[0] = cpu.clock();
        }));
        m.cpu(1).install(TestMachines.once(cpu -> {
            cpu.advance(100);
            cpu.interleave();
            cpu.advance(501);
            cpu.orderPoint(); // a host-state word, as a TLB shootdown's acknowledgement
            word.setRelease(1);
            cpu.advance(500);
            cpu.interleave();
        }));
        runOk(m);
        out[1] = m.counters(0).valueOpaque(Machine.C_SPIN_ITERATIONS);
        return out;
    }

    /**
     * A write at an order point (no stepper yield in deterministic mode): CPU 1 passes its
     * interleaving point at 100, computes to 601 and sets the word there. CPU 0 checks at 0, 3,
     * ...: the checks up to 600 fail (201 iterations) and the check at 603, the first after the
     * write, sees it, in both modes: the order point waits for CPU 0's clock in parallel mode,
     * and is a stepper yield in a seeded run, so no check before 601 sees the word and no check
     * after it waits for CPU 1's next interleaving point (1,101).
     */
    @Test
    void aWriteAtAnOrderPointEndsTheWaitAtTheFirstCheckAfterIt() {
        assertArrayEquals(new long[] {603, 201}, runWriterAtOrderPoint(ExecutionMode.PARALLEL, 1), "parallel");
        for (long seed = 1; seed <= 6; seed++) {
            assertArrayEquals(new long[] {603, 201}, runWriterAtOrderPoint(ExecutionMode.DETERMINISTIC, seed),
                    "seeded, seed " + seed);
        }
    }

    /** The spinner's handler clock, end of wait and spin iterations. */
    private static long[] runInterruptWhileSpinning(ExecutionMode mode, long seed) {
        Machine m = new Machine(config(mode, 2, seed).build());
        AtomicInteger word = new AtomicInteger();
        long[] out = new long[3];
        ScriptedDispatcher spinner = new ScriptedDispatcher(TestMachines.once(cpu -> {
            cpu.spinWaitUntil(() -> word.getAcquire() == 1, "the writer's store", true);
            out[1] = cpu.clock();
        })::doWork) {
            @Override
            protected void handled(Cpu cpu, Interrupt interrupt) {
                out[0] = cpu.clock();
            }
        };
        m.cpu(0).install(spinner);
        m.cpu(1).install(TestMachines.once(cpu -> {
            cpu.sendIpi(1L, 0x41);
            cpu.advance(4_960);
            cpu.interleave(); // the store below is shared state
            word.setRelease(1);
        }));
        runOk(m);
        out[2] = m.counters(0).valueOpaque(Machine.C_SPIN_ITERATIONS);
        return out;
    }

    /**
     * An interrupt that arrives while the CPU spins with interrupts enabled, before any write
     * can end the wait: CPU 1 sends CPU 0 an IPI at 0 (stamped 40, arriving 1,070, thesis
     * 3.3.1), then computes and stores the word at 5000. CPU 0 checks at 0, 3, ...; it takes the
     * IPI after the first iteration at or past its arrival, 3 * 357 = 1071 (the seeded shortcut
     * stops there, not at CPU 1's clock), and checks on from 1071 until the first check at or
     * after the store, 1071 + 3 * 1310 = 5001: 357 + 1310 = 1667 iterations, in both modes.
     */
    @Test
    void anInterruptIsTakenAtTheFirstIterationAfterItsArrivalInBothModes() {
        long[] expected = {1_071, 5_001, 1_667};
        assertArrayEquals(expected, runInterruptWhileSpinning(ExecutionMode.PARALLEL, 1), "parallel");
        for (long seed = 1; seed <= 4; seed++) {
            assertArrayEquals(expected, runInterruptWhileSpinning(ExecutionMode.DETERMINISTIC, seed), "seeded, seed " + seed);
        }
    }
}
