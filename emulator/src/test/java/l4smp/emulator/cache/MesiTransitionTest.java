package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MesiTransitionTest {

    private static final long A = 0x10000;
    private MemorySystem m;

    @BeforeEach
    void setUp() {
        m = new MemorySystem(CostModel.PIII_450, 4, new PhysicalMemory(16L << 20));
    }

    @AfterEach
    void invariantsHold() {
        m.checkInvariants().orThrow();
    }

    private AccessOutcome go(int cpu, long pa, AccessKind kind) {
        m.access(cpu, pa, kind);
        return m.lastOutcomePlain(cpu);
    }

    private void assertStates(long pa, LineState... states) {
        for (int cpu = 0; cpu < states.length; cpu++) {
            assertEquals(states[cpu], m.stateAcquire(cpu, pa), "state of CPU " + cpu);
        }
    }

    @Test
    void firstReadComesFromMemoryExclusive() {
        assertEquals(AccessOutcome.MEMORY, go(0, A, AccessKind.READ));
        assertStates(A, LineState.EXCLUSIVE, LineState.INVALID);
        assertEquals(1, m.countOpaque(0, MemoryEvent.MEMORY_FILLS));
        assertEquals(AccessOutcome.L1_HIT, go(0, A + 4, AccessKind.READ));
        assertEquals(1, m.countOpaque(0, MemoryEvent.L1_HITS));
    }

    @Test
    void firstWriteComesFromMemoryModified() {
        assertEquals(AccessOutcome.MEMORY, go(0, A, AccessKind.WRITE));
        assertStates(A, LineState.MODIFIED);
    }

    @Test
    void writeToOwnExclusiveLineIsSilent() {
        go(0, A, AccessKind.READ);
        assertEquals(AccessOutcome.L1_HIT, go(0, A, AccessKind.WRITE));
        assertStates(A, LineState.MODIFIED);
        assertEquals(1, m.countOpaque(0, MemoryEvent.SILENT_E_TO_M));
        assertEquals(0, m.countOpaque(0, MemoryEvent.INVALIDATIONS_SENT));
        assertEquals(AccessOutcome.L1_HIT, go(0, A, AccessKind.WRITE));
    }

    @Test
    void eToS() {
        go(0, A, AccessKind.READ);
        assertEquals(AccessOutcome.E_TO_S, go(1, A, AccessKind.READ));
        assertStates(A, LineState.SHARED, LineState.SHARED);
        assertEquals(1, m.countOpaque(1, MemoryEvent.E_TO_S));
        assertEquals(0, m.lastInvalidationsPlain(1));
        assertEquals(AccessOutcome.L1_HIT, go(0, A, AccessKind.READ), "the E->S copy stays valid");
    }

    @Test
    void eToM() {
        go(0, A, AccessKind.READ);
        assertEquals(AccessOutcome.E_TO_M, go(1, A, AccessKind.WRITE));
        assertStates(A, LineState.INVALID, LineState.MODIFIED);
        assertEquals(1, m.countOpaque(1, MemoryEvent.INVALIDATIONS_SENT));
        assertEquals(0, m.countOpaque(1, MemoryEvent.SNOOP_WRITEBACKS));
    }

    @Test
    void mToS() {
        go(0, A, AccessKind.WRITE);
        assertEquals(AccessOutcome.M_TO_S, go(1, A, AccessKind.READ));
        assertStates(A, LineState.SHARED, LineState.SHARED);
        assertEquals(1, m.countOpaque(1, MemoryEvent.SNOOP_WRITEBACKS));
        assertEquals(0, m.countOpaque(1, MemoryEvent.INVALIDATIONS_SENT));
    }

    @Test
    void mToM() {
        go(0, A, AccessKind.WRITE);
        assertEquals(AccessOutcome.M_TO_M, go(1, A, AccessKind.WRITE));
        assertStates(A, LineState.INVALID, LineState.MODIFIED);
        assertEquals(1, m.countOpaque(1, MemoryEvent.SNOOP_WRITEBACKS));
        assertEquals(1, m.countOpaque(1, MemoryEvent.INVALIDATIONS_SENT));
    }

    @Test
    void sToMFromOwnSharedCopyInvalidatesTheOthers() {
        go(0, A, AccessKind.READ);
        go(1, A, AccessKind.READ);
        go(2, A, AccessKind.READ);
        assertEquals(AccessOutcome.S_TO_M, go(1, A, AccessKind.WRITE));
        assertEquals(2, m.lastInvalidationsPlain(1));
        assertStates(A, LineState.INVALID, LineState.MODIFIED, LineState.INVALID, LineState.INVALID);
    }

    @Test
    void sToMWithoutOwnCopy() {
        go(0, A, AccessKind.READ);
        go(1, A, AccessKind.READ);
        assertEquals(AccessOutcome.S_TO_M, go(3, A, AccessKind.WRITE));
        assertEquals(2, m.lastInvalidationsPlain(3));
        assertStates(A, LineState.INVALID, LineState.INVALID, LineState.INVALID, LineState.MODIFIED);
    }

    @Test
    void readOfSharedLineJoinsTheSharers() {
        go(0, A, AccessKind.READ);
        go(1, A, AccessKind.READ);
        assertEquals(AccessOutcome.S_TO_S, go(2, A, AccessKind.READ));
        assertStates(A, LineState.SHARED, LineState.SHARED, LineState.SHARED, LineState.INVALID);
    }

    @Test
    void invalidatedCopyIsNoticedAsACoherenceMiss() {
        go(0, A, AccessKind.READ);
        go(1, A, AccessKind.WRITE);
        assertEquals(AccessOutcome.M_TO_S, go(0, A, AccessKind.READ));
        assertEquals(1, m.countOpaque(0, MemoryEvent.INVALIDATED_COPY_MISSES));
        assertEquals(1, m.countOpaque(0, MemoryEvent.MEMORY_FILLS) - 1, "refilled over the bus");
        assertEquals(1, m.countOpaque(0, MemoryEvent.COHERENCE_MISSES));
    }

    @Test
    void lockedRmwCostsABusLockAndOwnership() {
        go(0, A, AccessKind.READ);
        int cycles = m.access(1, A, AccessKind.LOCKED_RMW);
        assertEquals(AccessOutcome.E_TO_M, m.lastOutcomePlain(1));
        assertEquals(1, m.countOpaque(1, MemoryEvent.BUS_LOCKS));
        CostModel.MemoryHierarchy h = CostModel.PIII_450.memory();
        assertEquals((h.eToMCenti() + h.busLockCenti()) / 100, cycles);
        // A locked RMW on a line already M is an L1 hit plus the bus lock.
        m.access(1, A, AccessKind.LOCKED_RMW);
        assertEquals(AccessOutcome.L1_HIT, m.lastOutcomePlain(1));
        assertEquals(2, m.countOpaque(1, MemoryEvent.BUS_LOCKS));
    }

    /**
     * A timed locked access to a line the CPU holds M in its L1 (the short path of the port's
     * accessAt): an L1 hit plus the bus lock, the counters of a locked access served by L1, no
     * transition, and the write stamp at the clock the access completes -- reached both as the
     * line of the CPU's previous access and through the set search.
     */
    @Test
    void lockedRmwOnOwnModifiedLineIsAnL1HitThatStampsTheLine() {
        CostModel.MemoryHierarchy h = CostModel.PIII_450.memory();
        MemorySystem.SingleWriterCpuPort port = m.port(1);
        port.accessAt(A, AccessKind.WRITE, 0);                               // M, from memory
        final long[] before = m.snapshotOpaque(1);
        final long centiBefore = m.countOpaque(1, MemoryEvent.CENTICYCLES);
        // The line of the previous access.
        final int first = port.accessAt(A + 4, AccessKind.LOCKED_RMW, 1000);
        assertEquals(AccessOutcome.L1_HIT, m.lastOutcomePlain(1));
        assertEquals(0, m.lastInvalidationsPlain(1));
        assertEquals(1000 + first, m.directory().stampAcquire(A >>> h.lineShift()), "stamp of the first locked access");
        // Another line between: the set search finds A again.
        port.accessAt(A + 4096, AccessKind.READ, 2000);
        final int second = port.accessAt(A + 8, AccessKind.LOCKED_RMW, 3000);
        assertEquals(AccessOutcome.L1_HIT, m.lastOutcomePlain(1));
        assertEquals(3000 + second, m.directory().stampAcquire(A >>> h.lineShift()), "stamp of the second locked access");
        assertStates(A, LineState.INVALID, LineState.MODIFIED);
        final long[] after = m.snapshotOpaque(1);
        assertEquals(2, after[MemoryEvent.LOCKED_RMWS.ordinal()] - before[MemoryEvent.LOCKED_RMWS.ordinal()]);
        assertEquals(2, after[MemoryEvent.BUS_LOCKS.ordinal()] - before[MemoryEvent.BUS_LOCKS.ordinal()]);
        // Two locked hits and the read of the other line (a fill from memory).
        assertEquals(2, after[MemoryEvent.L1_HITS.ordinal()] - before[MemoryEvent.L1_HITS.ordinal()]);
        assertEquals(0, after[MemoryEvent.COHERENCE_MISSES.ordinal()] - before[MemoryEvent.COHERENCE_MISSES.ordinal()]);
        assertEquals(0, after[MemoryEvent.SILENT_E_TO_M.ordinal()] - before[MemoryEvent.SILENT_E_TO_M.ordinal()]);
        assertEquals(2L * (h.l1HitCenti() + h.busLockCenti()) + h.memoryCenti(),
                m.countOpaque(1, MemoryEvent.CENTICYCLES) - centiBefore, "centicycles of the three accesses");
        // Another CPU that reads A before the stamp waits for the data (M to S).
        final int read = m.port(0).accessAt(A, AccessKind.READ, 0);
        assertEquals(AccessOutcome.M_TO_S, m.lastOutcomePlain(0));
        assertTrue(read >= 3000 + second, "the read waits for the locked write's stamp: " + read);
    }

    @Test
    void fractionalCyclesAreCarriedExactly() {
        go(0, A, AccessKind.READ);                  // 42.57
        long total = 0;
        for (int i = 0; i < 1000; i++) {
            total += m.access(0, A, AccessKind.READ);  // 0.98 each
        }
        // 42.57 + 980 = 1022.57 in all; the first access returned 42.
        assertEquals(1022 - 42, total);
        assertEquals(102257, m.countOpaque(0, MemoryEvent.CENTICYCLES));
        assertEquals(1022.57, m.chargedCyclesOpaque(0), 1e-9);
    }

    @Test
    void everyAccessHasExactlyOneSource() {
        long[] pas = {A, A + 32, A + 64, A + 4096};
        for (int i = 0; i < 200; i++) {
            m.access(i % 4, pas[(i * 7) % 4], AccessKind.values()[i % 3]);
        }
        long[] t = m.totalsOpaque();
        long sources = t[MemoryEvent.L1_HITS.ordinal()] + t[MemoryEvent.L2_HITS.ordinal()]
                + t[MemoryEvent.MEMORY_FILLS.ordinal()];
        long kinds = t[MemoryEvent.READS.ordinal()] + t[MemoryEvent.WRITES.ordinal()]
                + t[MemoryEvent.LOCKED_RMWS.ordinal()];
        assertEquals(200, kinds);
        assertEquals(kinds, sources);
    }

    @Test
    void coherenceMissesAreAttributedToTheOwnerOfTheRange() {
        KernelRegion region = KernelRegion.of(m, 0x100000, 0x10000);
        long mailbox = region.allocateLines(1, AttributionTags.MAILBOX);
        long tcb = region.allocateLines(2, AttributionTags.TCB_GLOBAL);
        go(0, mailbox, AccessKind.WRITE);
        go(1, mailbox, AccessKind.READ);               // M -> S
        go(0, mailbox, AccessKind.WRITE);              // S -> M, invalidates CPU 1
        go(0, tcb + 32, AccessKind.READ);
        go(1, tcb + 32, AccessKind.WRITE);             // E -> M
        var report = m.attributionReportOpaque();
        assertEquals(2, report.get(AttributionTags.MAILBOX)[0]);
        assertEquals(1, report.get(AttributionTags.MAILBOX)[1]);
        assertEquals(1, report.get(AttributionTags.TCB_GLOBAL)[0]);
        int mailboxTag = m.attribution().tagId(AttributionTags.MAILBOX);
        assertEquals(1, m.attributedCoherenceMissesOpaque(1, mailboxTag));
    }

    @Test
    void rejectsMoreCpusThanTheDirectoryEncodes() {
        PhysicalMemory phys = new PhysicalMemory(1 << 20);
        assertThrows(IllegalArgumentException.class, () -> new MemorySystem(CostModel.PIII_450, 65, phys));
        MemorySystem big = new MemorySystem(CostModel.PIII_450, 63, phys);
        for (int cpu = 0; cpu < 63; cpu++) {
            big.access(cpu, A, AccessKind.READ);
        }
        assertEquals(LineState.SHARED, big.stateAcquire(62, A));
        big.access(62, A, AccessKind.WRITE);
        assertEquals(62, big.lastInvalidationsPlain(62));
        assertTrue(big.checkInvariants().ok());
    }
}
