package l4smp.tests.jcstress.cache;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.AccessOutcome;
import l4smp.emulator.cache.LineState;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The lock-free MESI directory of {@link MemorySystem} under real races: two simulated CPUs,
 * each on its own host thread, access one line.
 *
 * <p>State codes in the results: 0 = I, 1 = S, 2 = E, 3 = M; -1 = the invariant checker
 * failed.
 */
public final class MesiDirectoryStress {
    private MesiDirectoryStress() { }

    /** A tiny cache geometry, so that each jcstress state is cheap to build. */
    static final CostModel TINY = CostModel.PIII_450.withMemory(
            CostModel.PIII_450.memory().withCaches(128, 2, 256, 2));
    static final long LINE = 0x1000;

    static MemorySystem newMachine() {
        return new MemorySystem(TINY, 2, new PhysicalMemory(64 * 1024));
    }

    static int code(LineState s) {
        return s.ordinal();
    }

    /** (a) Two CPUs writing one line never both end in M: exactly one owns it, the other is I. */
    @JCStressTest
    @Outcome(id = "3, 0", expect = ACCEPTABLE, desc = "CPU 0 wrote last: M at CPU 0, CPU 1 invalidated")
    @Outcome(id = "0, 3", expect = ACCEPTABLE, desc = "CPU 1 wrote last: M at CPU 1, CPU 0 invalidated")
    @Outcome(id = "3, 3", expect = FORBIDDEN, desc = "both CPUs hold the line modified")
    @Outcome(expect = FORBIDDEN, desc = "any other end state breaks MESI")
    @State
    public static class TwoWritersNeverBothModified {
        final MemorySystem m = newMachine();

        @Actor
        public void cpu0() {
            m.access(0, LINE, AccessKind.WRITE);
        }

        @Actor
        public void cpu1() {
            m.access(1, LINE, AccessKind.WRITE);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            boolean ok = m.checkInvariants().ok();
            r.r1 = ok ? code(m.stateAcquire(0, LINE)) : -1;
            r.r2 = ok ? code(m.stateAcquire(1, LINE)) : -1;
        }
    }

    /**
     * (b) A read after a remote write sees the written data, never a stale value: CPU 0 stores
     * 42 and then charges the write; CPU 1 charges its read and then loads. r1: how CPU 1's read
     * was served (0 = from memory, before the write's transition; 1 = M to S, after it; 9 =
     * other); r2: the value CPU 1 loaded; r3: CPU 1's final state.
     */
    @JCStressTest
    @Outcome(id = "1, 42, 1", expect = ACCEPTABLE, desc = "read after the write: M to S, both shared, new data")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "read first (E), old data; the write then invalidated it")
    @Outcome(id = "0, 42, 0", expect = ACCEPTABLE,
            desc = "read's transition first, the store already visible; the write then invalidated it")
    @Outcome(id = "1, 0, 1", expect = FORBIDDEN, desc = "stale: the read saw the remote M line but old data")
    @Outcome(expect = FORBIDDEN, desc = "any other outcome breaks coherence")
    @State
    public static class ReadAfterRemoteWriteIsNotStale {
        final MemorySystem m = newMachine();
        final PhysicalMemory phys = m.physicalMemory();

        @Actor
        public void cpu0() {
            phys.setIntPlain(LINE, 42);                    // data first ...
            m.access(0, LINE, AccessKind.WRITE);           // ... then the transition publishes it
        }

        @Actor
        public void cpu1(III_Result r) {
            m.access(1, LINE, AccessKind.READ);            // the transition first ...
            AccessOutcome o = m.lastOutcomePlain(1);
            r.r1 = o == AccessOutcome.MEMORY ? 0 : o == AccessOutcome.M_TO_S ? 1 : 9;
            r.r2 = phys.intPlain(LINE);                    // ... then the data
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = m.checkInvariants().ok() ? code(m.stateAcquire(1, LINE)) : -1;
        }
    }

    /**
     * (c) Two CPUs reading an invalid line: one gets it from memory (E), the other snoops it
     * (E to S); both end S, never both E.
     */
    @JCStressTest
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "both shared")
    @Outcome(id = "2, 2", expect = FORBIDDEN, desc = "both exclusive")
    @Outcome(expect = FORBIDDEN, desc = "any other end state breaks MESI")
    @State
    public static class TwoReadersShare {
        final MemorySystem m = newMachine();

        @Actor
        public void cpu0() {
            m.access(0, LINE, AccessKind.READ);
        }

        @Actor
        public void cpu1() {
            m.access(1, LINE, AccessKind.READ);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            boolean ok = m.checkInvariants().ok();
            r.r1 = ok ? code(m.stateAcquire(0, LINE)) : -1;
            r.r2 = ok ? code(m.stateAcquire(1, LINE)) : -1;
        }
    }
}
