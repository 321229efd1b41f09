package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Evictions with a tiny geometry: L1 2 sets x 2 ways, L2 4 sets x 2 ways, 32-byte lines. */
class EvictionTest {

    private static final CostModel TINY = CostModel.PIII_450.withMemory(
            CostModel.PIII_450.memory().withCaches(128, 2, 256, 2));
    /** L2 set stride: 4 sets x 32 bytes; lines A + k * STRIDE share A's L2 (and L1) set. */
    private static final long STRIDE = 128;
    private static final long A = 0x8000;
    private MemorySystem m;

    @BeforeEach
    void setUp() {
        m = new MemorySystem(TINY, 2, new PhysicalMemory(1 << 20));
    }

    @AfterEach
    void invariantsHold() {
        m.checkInvariants().orThrow();
    }

    @Test
    void evictedModifiedLineIsWrittenBackAndLeavesTheDirectory() {
        m.access(0, A, AccessKind.WRITE);
        assertEquals(LineState.MODIFIED, m.stateAcquire(0, A));
        m.access(0, A + STRIDE, AccessKind.READ);
        int cycles = m.access(0, A + 2 * STRIDE, AccessKind.READ);    // evicts A (LRU)
        assertEquals(LineState.INVALID, m.stateAcquire(0, A));
        assertEquals(1, m.countOpaque(0, MemoryEvent.EVICTION_WRITEBACKS));
        assertEquals(1, m.countOpaque(0, MemoryEvent.L2_EVICTIONS));
        CostModel.MemoryHierarchy h = TINY.memory();
        assertTrue(cycles >= (h.memoryCenti() + h.evictionWritebackCenti()) / 100 - 1);
        // The L1 copy went with it (inclusive L2): the next access is a memory fill.
        m.access(0, A, AccessKind.READ);
        assertEquals(AccessOutcome.MEMORY, m.lastOutcomePlain(0));
    }

    @Test
    void evictedCleanLineIsNotWrittenBack() {
        m.access(0, A, AccessKind.READ);
        m.access(0, A + STRIDE, AccessKind.READ);
        m.access(0, A + 2 * STRIDE, AccessKind.READ);
        assertEquals(LineState.INVALID, m.stateAcquire(0, A));
        assertEquals(0, m.countOpaque(0, MemoryEvent.EVICTION_WRITEBACKS));
        assertEquals(1, m.countOpaque(0, MemoryEvent.L2_EVICTIONS));
    }

    @Test
    void evictingASharedCopyRemovesOnlyTheEvictingCpu() {
        m.access(0, A, AccessKind.READ);
        m.access(1, A, AccessKind.READ);
        m.access(0, A + STRIDE, AccessKind.READ);
        m.access(0, A + 2 * STRIDE, AccessKind.READ);                // CPU 0 evicts A
        assertEquals(LineState.INVALID, m.stateAcquire(0, A));
        assertEquals(LineState.SHARED, m.stateAcquire(1, A));
        m.access(1, A, AccessKind.WRITE);                            // S -> M, nobody to invalidate
        assertEquals(AccessOutcome.S_TO_M, m.lastOutcomePlain(1));
        assertEquals(0, m.lastInvalidationsPlain(1));
    }

    @Test
    void evictingAStaleCopyChangesNothing() {
        m.access(0, A, AccessKind.READ);
        m.access(1, A, AccessKind.WRITE);                            // invalidates CPU 0's copy
        m.access(0, A + STRIDE, AccessKind.READ);
        m.access(0, A + 2 * STRIDE, AccessKind.READ);                // drops the stale tag
        assertEquals(LineState.MODIFIED, m.stateAcquire(1, A));
        assertEquals(0, m.countOpaque(0, MemoryEvent.L2_EVICTIONS));
        assertEquals(0, m.countOpaque(0, MemoryEvent.EVICTION_WRITEBACKS));
    }

    @Test
    void lineEvictedFromL1OnlyHitsInL2() {
        m.access(0, A, AccessKind.READ);
        // L1 has 2 sets of 64-byte stride; A + 64 and A + 192 share A's L1 set but not its L2 set.
        m.access(0, A + 64, AccessKind.READ);
        m.access(0, A + 192, AccessKind.READ);
        m.access(0, A, AccessKind.READ);
        assertEquals(AccessOutcome.L2_HIT, m.lastOutcomePlain(0));
        assertEquals(1, m.countOpaque(0, MemoryEvent.L2_HITS));
        assertTrue(m.countOpaque(0, MemoryEvent.L1_EVICTIONS) >= 1);
    }

    @Test
    void flushCachesWritesBackEverything() {
        m.access(0, A, AccessKind.WRITE);
        m.access(0, A + 32, AccessKind.READ);
        m.flushCaches(0);
        assertEquals(LineState.INVALID, m.stateAcquire(0, A));
        assertEquals(LineState.INVALID, m.stateAcquire(0, A + 32));
        assertEquals(1, m.countOpaque(0, MemoryEvent.EVICTION_WRITEBACKS));
    }
}
