package l4smp.emulator.cache.experiments;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.AttributionTags;
import l4smp.emulator.cache.KernelRegion;
import l4smp.emulator.cache.MemoryEvent;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

/**
 * Appendix A: a test-and-test-and-set spinlock against a plain test-and-set spin, under
 * contention among N simulated CPUs, counting the coherence traffic each causes.
 *
 * <p>Every CPU repeats: acquire the lock, run a critical section (read and write a shared
 * counter line {@code criticalSteps} times), release the lock (a plain store of 0), then work
 * privately for {@code thinkSteps} accesses to its own line. Acquiring:
 * <ul>
 * <li>test-and-set: {@code xchg} (a locked RMW) until it returns 0 &mdash; every spin is a
 *     write to the lock line;</li>
 * <li>test-and-test-and-set (appendix A): one {@code lock bts}; on failure read the lock until
 *     it looks free, then {@code lock bts} again.</li>
 * </ul>
 * The CPUs are interleaved deterministically on the calling thread: round-robin, one memory
 * access per CPU per round. The lock's semantics are real (the lock word and the counter live
 * in physical memory), so the run also checks mutual exclusion: the counter must end at
 * {@code cpus * acquisitionsPerCpu * criticalSteps}.
 */
public final class SpinlockContention {
    private SpinlockContention() { }

    /** Which acquire loop. */
    public enum Variant { TEST_AND_SET, TEST_AND_TEST_AND_SET }

    /**
     * What one run caused, summed over all CPUs.
     *
     * @param invalidations        copies invalidated (all lines)
     * @param lockInvalidations    copies of the lock's line invalidated
     * @param lockCoherenceMisses  coherence misses on the lock's line
     * @param coherenceTransitions accesses that were coherence transitions, all lines
     * @param busLocks             locked RMWs executed
     * @param steps                interleaving steps until every CPU finished
     * @param cycles               cycles charged by the memory system, all CPUs
     */
    public record Result(Variant variant, int cpus, int acquisitionsPerCpu, long invalidations,
                         long lockInvalidations, long lockCoherenceMisses, long coherenceTransitions,
                         long busLocks, long steps, long cycles) {

        /** Invalidations per lock acquisition. */
        public double invalidationsPerAcquisition() {
            return (double) invalidations / ((long) cpus * acquisitionsPerCpu);
        }
    }

    private static final int TRY = 0;
    private static final int SPIN = 1;
    private static final int CRITICAL = 2;
    private static final int RELEASE = 3;
    private static final int THINK = 4;
    private static final int DONE = 5;

    /**
     * Runs the contention experiment.
     *
     * @param cpus               contending CPUs (2..63)
     * @param acquisitionsPerCpu how often each CPU takes the lock
     * @param criticalSteps      shared-counter accesses per critical section (read + write each)
     * @param thinkSteps         private accesses between a release and the next acquire
     */
    public static Result run(CostModel model, Variant variant, int cpus, int acquisitionsPerCpu,
                             int criticalSteps, int thinkSteps) {
        if (cpus < 2 || acquisitionsPerCpu <= 0 || criticalSteps <= 0 || thinkSteps < 0) {
            throw new IllegalArgumentException("bad contention parameters");
        }
        PhysicalMemory phys = new PhysicalMemory(16L << 20);
        MemorySystem m = new MemorySystem(model, cpus, phys);
        KernelRegion region = KernelRegion.of(m, 1L << 20, 1L << 20);
        long lock = region.allocateLines(1, AttributionTags.SPINLOCK);
        long counter = region.allocateLines(1, "shared data");
        long[] privateLine = new long[cpus];
        for (int c = 0; c < cpus; c++) {
            privateLine[c] = region.allocateLines(1, "private data");
        }
        int lockTag = m.attribution().tagId(AttributionTags.SPINLOCK);

        int[] state = new int[cpus];
        int[] remaining = new int[cpus];
        int[] stepInPhase = new int[cpus];
        java.util.Arrays.fill(state, TRY);
        java.util.Arrays.fill(remaining, acquisitionsPerCpu);
        long cycles = 0;
        long steps = 0;
        int done = 0;
        while (done < cpus) {
            for (int c = 0; c < cpus; c++) {
                switch (state[c]) {
                    case TRY -> {
                        int old = phys.getAndSetInt(lock, 1);                   // xchg / lock bts
                        cycles += m.access(c, lock, AccessKind.LOCKED_RMW);
                        if (old == 0) {
                            state[c] = CRITICAL;
                            stepInPhase[c] = 0;
                        } else if (variant == Variant.TEST_AND_TEST_AND_SET) {
                            state[c] = SPIN;
                        }
                    }
                    case SPIN -> {
                        cycles += m.access(c, lock, AccessKind.READ);           // cmp [lock], 0
                        if (phys.intAcquire(lock) == 0) {
                            state[c] = TRY;
                        }
                    }
                    case CRITICAL -> {
                        // Even steps read the counter, odd steps write it back incremented.
                        if ((stepInPhase[c] & 1) == 0) {
                            cycles += m.access(c, counter, AccessKind.READ);
                        } else {
                            phys.setIntPlain(counter, phys.intPlain(counter) + 1);
                            cycles += m.access(c, counter, AccessKind.WRITE);
                        }
                        if (++stepInPhase[c] == 2 * criticalSteps) {
                            state[c] = RELEASE;
                        }
                    }
                    case RELEASE -> {
                        phys.setIntRelease(lock, 0);                            // mov [lock], 0
                        cycles += m.access(c, lock, AccessKind.WRITE);
                        stepInPhase[c] = 0;
                        if (--remaining[c] == 0) {
                            state[c] = DONE;
                            done++;
                        } else {
                            state[c] = thinkSteps == 0 ? TRY : THINK;
                        }
                    }
                    case THINK -> {
                        phys.setIntPlain(privateLine[c], stepInPhase[c]);
                        cycles += m.access(c, privateLine[c], AccessKind.WRITE);
                        if (++stepInPhase[c] == thinkSteps) {
                            state[c] = TRY;
                        }
                    }
                    default -> { }
                }
            }
            steps++;
        }
        int expected = cpus * acquisitionsPerCpu * criticalSteps;
        if (phys.intPlain(counter) != expected) {
            throw new IllegalStateException("mutual exclusion broken: counter " + phys.intPlain(counter)
                    + ", expected " + expected);
        }
        m.checkInvariants().orThrow();
        long lockInv = 0;
        long lockMisses = 0;
        for (int c = 0; c < cpus; c++) {
            lockInv += m.attributedInvalidationsOpaque(c, lockTag);
            lockMisses += m.attributedCoherenceMissesOpaque(c, lockTag);
        }
        long transitions = m.totalOpaque(MemoryEvent.E_TO_S) + m.totalOpaque(MemoryEvent.E_TO_M)
                + m.totalOpaque(MemoryEvent.M_TO_S) + m.totalOpaque(MemoryEvent.M_TO_M)
                + m.totalOpaque(MemoryEvent.S_TO_M) + m.totalOpaque(MemoryEvent.S_TO_S);
        return new Result(variant, cpus, acquisitionsPerCpu, m.totalOpaque(MemoryEvent.INVALIDATIONS_SENT),
                lockInv, lockMisses, transitions, m.totalOpaque(MemoryEvent.BUS_LOCKS), steps, cycles);
    }
}
