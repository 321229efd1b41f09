package l4smp.tests.jcstress.cache;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.ConcurrentMesiDirectory;
import l4smp.emulator.cache.LineState;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.memory.PhysicalMemory;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The 64-CPU encoding of the lock-free MESI directory of {@link MemorySystem} under a real race:
 * the line is shared by CPU 63 and every CPU of the exclusive words' marker
 * ({@link ConcurrentMesiDirectory#MARKER}) but its two highest, which read the line at once on
 * two host threads. Whichever CAS comes second would complete the sharer set that reads as an
 * exclusive word; it drops the marker's lowest CPU instead. Both readers end SHARED, the word is
 * a shared one, and the directory's invariants hold. Results: the two readers' states (1 = S)
 * and 1 when the invariants hold and the word is not exclusive.
 */
public final class SixtyFourCpuDirectoryStress {
    private SixtyFourCpuDirectoryStress() { }

    static final long LINE = 0x1000;
    static final int HIGH = 63 - Long.numberOfLeadingZeros(ConcurrentMesiDirectory.MARKER);
    static final int NEXT = 63 - Long.numberOfLeadingZeros(ConcurrentMesiDirectory.MARKER & ~(1L << HIGH));

    @JCStressTest
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "both readers share the line; one marker CPU dropped its copy")
    @Outcome(expect = FORBIDDEN, desc = "a reader not SHARED, a word that reads as exclusive, or broken invariants")
    @State
    public static class CompletingTheMarkerSetDropsASharer {
        final MemorySystem m = new MemorySystem(MesiDirectoryStress.TINY, 64, new PhysicalMemory(64 * 1024));

        public CompletingTheMarkerSetDropsASharer() {
            m.access(63, LINE, AccessKind.READ);
            for (int cpu = 0; cpu < 63; cpu++) {
                if (((ConcurrentMesiDirectory.MARKER >>> cpu) & 1) != 0 && cpu != HIGH && cpu != NEXT) {
                    m.access(cpu, LINE, AccessKind.READ);
                }
            }
        }

        @Actor
        public void high() {
            m.access(HIGH, LINE, AccessKind.READ);
        }

        @Actor
        public void next() {
            m.access(NEXT, LINE, AccessKind.READ);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = m.stateAcquire(HIGH, LINE) == LineState.SHARED ? 1 : 0;
            r.r2 = m.stateAcquire(NEXT, LINE) == LineState.SHARED ? 1 : 0;
            boolean shared = m.stateAcquire(63, LINE) == LineState.SHARED;
            r.r3 = m.checkInvariants().ok() && shared ? 1 : 0;
        }
    }
}
