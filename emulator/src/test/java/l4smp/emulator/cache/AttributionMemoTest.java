package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

/**
 * The attribution of coherence misses through each CPU's memo of registered ranges: two ranges
 * that share one cache line are told apart, an address of a line whose memo entry holds another
 * range is looked up again, and an address that was untagged when first attributed is
 * attributed to the range registered over it later (an untagged answer is never kept).
 */
class AttributionMemoTest {

    private static final long LINE = 0x4000;
    /** The id of {@link AttributionTags#UNTAGGED}. */
    private static final int UNTAGGED = 0;

    /** CPU 0 then CPU 1 write {@code pa}: CPU 1's write is an M-to-M transition, a coherence miss. */
    private static void pingWrite(MemorySystem m, long pa) {
        m.access(0, pa, AccessKind.WRITE);
        m.access(1, pa, AccessKind.WRITE);
    }

    @Test
    void rangesSharingALineAndALaterRegistrationAreAttributedToTheirOwnTags() {
        ConcurrentAttributionRegistry reg = new ConcurrentAttributionRegistry();
        MemorySystem m = new MemorySystem(CostModel.PIII_450, 2, new PhysicalMemory(1L << 20), reg);
        int a = reg.register(LINE, 16, "a");
        int b = reg.register(LINE + 16, 16, "b");

        pingWrite(m, LINE);            // a
        pingWrite(m, LINE + 16);       // b: same line, the memo holds a's range
        pingWrite(m, LINE + 4);        // a again
        assertEquals(2, m.attributedCoherenceMissesOpaque(1, a));
        assertEquals(1, m.attributedCoherenceMissesOpaque(1, b));

        long later = LINE + 0x1000;
        pingWrite(m, later);           // untagged now
        assertEquals(1, m.attributedCoherenceMissesOpaque(1, UNTAGGED));
        int c = reg.register(later, 32, "c");
        pingWrite(m, later);           // tagged since
        assertEquals(1, m.attributedCoherenceMissesOpaque(1, c));
        assertEquals(1, m.attributedCoherenceMissesOpaque(1, UNTAGGED));
    }

    /**
     * The lines a cross-processor round trip takes from the other CPU (counted in a seeded
     * {@code pingpong --placement cross} run: its two mailboxes, 2 KB apart, and lines of the
     * two TCBs a few KB further) take different memo entries, as do the lines of any 8 KB; with
     * 64 entries the two mailboxes evicted each other from the memo on every coherence miss (a
     * registry search each time).
     */
    @Test
    void theLinesOfARoundTripTakeDifferentMemoEntries() {
        long[] lines = {0x18013a, 0x18013b, 0x18013e, 0x180140, 0x180180, 0x18085b, 0x18085e, 0x18085f};
        for (int i = 0; i < lines.length; i++) {
            for (int j = i + 1; j < lines.length; j++) {
                assertNotEquals(MemorySystem.tagMemoEntry(lines[i]), MemorySystem.tagMemoEntry(lines[j]),
                        "lines 0x" + Long.toHexString(lines[i]) + " and 0x" + Long.toHexString(lines[j]));
            }
        }
        for (long line = 0x180000; line < 0x180000 + 256; line++) {
            for (int apart : new int[] {1, 2, 32, 64, 128, 255}) {
                assertNotEquals(MemorySystem.tagMemoEntry(line), MemorySystem.tagMemoEntry(line + apart));
            }
        }
    }
}
