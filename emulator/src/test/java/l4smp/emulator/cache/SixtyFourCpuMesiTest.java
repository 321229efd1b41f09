package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.junit.jupiter.api.Test;

/**
 * The MESI directory on 64 CPUs: CPU 63 is a sharer and an owner like any other; every sharer set
 * reads as shared, also the sets of CPU 63 with the CPUs of the exclusive words' marker, which a
 * transition must not produce (one of those CPUs drops its copy instead, like a silent eviction
 * of an S line); the invariants hold throughout. Expected transitions are MESI's (thesis 3.2,
 * Table 2).
 */
class SixtyFourCpuMesiTest {

    private static final long A = 0x10000;

    private static MemorySystem machine() {
        return new MemorySystem(CostModel.PIII_450, 64, new PhysicalMemory(16L << 20));
    }

    private static AccessOutcome go(MemorySystem m, int cpu, long pa, AccessKind kind) {
        m.access(cpu, pa, kind);
        return m.lastOutcomePlain(cpu);
    }

    @Test
    void cpu63TakesEveryState() {
        MemorySystem m = machine();
        assertEquals(AccessOutcome.MEMORY, go(m, 63, A, AccessKind.READ));
        assertEquals(LineState.EXCLUSIVE, m.stateAcquire(63, A));
        assertEquals(AccessOutcome.E_TO_S, go(m, 0, A, AccessKind.READ));
        assertEquals(LineState.SHARED, m.stateAcquire(63, A));
        assertEquals(LineState.SHARED, m.stateAcquire(0, A));
        for (int cpu = 1; cpu < 63; cpu++) {
            assertEquals(AccessOutcome.S_TO_S, go(m, cpu, A, AccessKind.READ));
        }
        // All 64 CPUs share the line: the word lists 64 sharers and reads as shared.
        for (int cpu = 0; cpu < 64; cpu++) {
            assertEquals(LineState.SHARED, m.stateAcquire(cpu, A), "CPU " + cpu);
        }
        assertEquals(-1L, m.directoryWordAcquire(A));
        m.checkInvariants().orThrow();
        assertEquals(AccessOutcome.S_TO_M, go(m, 63, A, AccessKind.WRITE));
        assertEquals(63, m.lastInvalidationsPlain(63), "the 63 other sharers invalidated");
        assertEquals(LineState.MODIFIED, m.stateAcquire(63, A));
        assertEquals(LineState.INVALID, m.stateAcquire(0, A));
        assertEquals(AccessOutcome.M_TO_S, go(m, 5, A, AccessKind.READ));
        assertEquals(AccessOutcome.S_TO_M, go(m, 5, A, AccessKind.WRITE));
        assertEquals(AccessOutcome.M_TO_M, go(m, 63, A, AccessKind.WRITE));
        assertEquals(LineState.MODIFIED, m.stateAcquire(63, A));
        assertEquals(LineState.INVALID, m.stateAcquire(5, A));
        m.checkInvariants().orThrow();
    }

    @Test
    void aSharerSetThatWouldReadAsExclusiveDropsOneSharer() {
        MemorySystem m = machine();
        long marker = ConcurrentMesiDirectory.MARKER;
        // CPU 63, then every CPU of the marker but the last: the next read would make the set
        // {63} + marker, the word of an exclusive state.
        go(m, 63, A, AccessKind.READ);
        int last = 63 - Long.numberOfLeadingZeros(marker);
        for (int cpu = 0; cpu < 64; cpu++) {
            if (((marker >>> cpu) & 1) != 0 && cpu != last) {
                go(m, cpu, A, AccessKind.READ);
            }
        }
        long before = m.directoryWordAcquire(A);
        assertEquals(marker & ~(1L << last) | 1L << 63, before);
        assertEquals(AccessOutcome.S_TO_S, go(m, last, A, AccessKind.READ));
        assertEquals(1, m.lastInvalidationsPlain(last), "one sharer dropped");
        long word = m.directoryWordAcquire(A);
        assertFalse(ConcurrentMesiDirectory.isExclusive(word), ConcurrentMesiDirectory.describe(word));
        assertEquals(LineState.SHARED, m.stateAcquire(last, A));
        assertEquals(LineState.SHARED, m.stateAcquire(63, A));
        int dropped = Long.numberOfTrailingZeros(marker);
        assertEquals(LineState.INVALID, m.stateAcquire(dropped, A), "the marker's first CPU dropped its copy");
        assertEquals(Long.bitCount(marker), Long.bitCount(word), "63 and the marker's CPUs but one");
        m.checkInvariants().orThrow();
        // The dropped CPU reads again: an invalidated-copy miss, served shared.
        assertEquals(AccessOutcome.S_TO_S, go(m, dropped, A, AccessKind.READ));
        assertTrue(m.stateAcquire(dropped, A) == LineState.SHARED);
        m.checkInvariants().orThrow();
    }

    @Test
    void theMarkerLiesInTheBitsOfCpus6To61AndIsNoSmallSet() {
        long marker = ConcurrentMesiDirectory.MARKER;
        assertEquals(0, marker & ~ConcurrentMesiDirectory.MARKER_FIELD);
        assertTrue(Long.bitCount(marker) > 8, "a set of many CPUs, no scenario's sharing pattern");
        assertThrows(IllegalArgumentException.class,
                () -> new MemorySystem(CostModel.PIII_450, 65, new PhysicalMemory(16L << 20)));
    }
}
