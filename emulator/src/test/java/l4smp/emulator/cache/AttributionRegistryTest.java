package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The attribution registry: lookups over many ranges, registered in address order (the kernel
 * region's bump allocator) and out of order, overlap refusals, and the cost of registering in
 * address order, counted as copies of the range arrays (a doubling growth: about log2 n of
 * them, where an insertion that copied every time would make n).
 */
class AttributionRegistryTest {

    @Test
    void rangesInAddressOrderAreFoundAndCopyTheArraysOnlyWhenTheyDouble() {
        ConcurrentAttributionRegistry reg = new ConcurrentAttributionRegistry();
        int n = 100_000;
        for (int i = 0; i < n; i++) {
            reg.register(0x100000L + 64L * i, 32, i % 2 == 0 ? "even" : "odd");
        }
        assertEquals(n, reg.rangeCount());
        // 16, 32, ..., 131072: the arrays grew 13 times for 100,000 ranges.
        assertEquals(13, reg.arrayCopies());
        for (int i = 0; i < n; i += 997) {
            long a = 0x100000L + 64L * i;
            assertEquals(i % 2 == 0 ? "even" : "odd", reg.tagNameAcquire(reg.tagOfAcquire(a)));
            assertEquals(i % 2 == 0 ? "even" : "odd", reg.tagNameAcquire(reg.tagOfAcquire(a + 31)));
            assertEquals(0, reg.tagOfAcquire(a + 32), "the gap between two ranges is untagged");
        }
        assertEquals(0, reg.tagOfAcquire(0xFFFFF));
        assertEquals(0, reg.tagOfAcquire(0x100000L + 64L * n));
    }

    @Test
    void aRangeBetweenOthersIsInsertedInOrderAndOverlapsAreRefused() {
        ConcurrentAttributionRegistry reg = new ConcurrentAttributionRegistry();
        for (int i = 0; i < 40; i++) {
            reg.register(1000L * (i + 1), 100, "a");
        }
        reg.register(1500, 100, "between");
        reg.register(10, 10, "first");
        assertEquals(42, reg.rangeCount());
        assertEquals("between", reg.tagNameAcquire(reg.tagOfAcquire(1599)));
        assertEquals("first", reg.tagNameAcquire(reg.tagOfAcquire(10)));
        assertEquals("a", reg.tagNameAcquire(reg.tagOfAcquire(2000)));
        assertEquals(0, reg.tagOfAcquire(1600));
        assertEquals(0, reg.tagOfAcquire(20));
        assertEquals("0xa-0x14 first", reg.describeRangesAcquire().get(0));
        assertEquals("0x5dc-0x640 between", reg.describeRangesAcquire().get(2));
        assertThrows(IllegalArgumentException.class, () -> reg.register(1550, 10, "inside"));
        assertThrows(IllegalArgumentException.class, () -> reg.register(950, 60, "over a start"));
        assertThrows(IllegalArgumentException.class, () -> reg.register(40_050, 10, "inside the last"));
        assertThrows(IllegalArgumentException.class, () -> reg.register(40_000, 1, "at the last's start"));
        assertThrows(IllegalArgumentException.class, () -> reg.register(5, 0, "empty"));
        assertEquals(42, reg.rangeCount(), "a refused range registers nothing");
        reg.register(40_100, 5, "adjacent");
        assertEquals("adjacent", reg.tagNameAcquire(reg.tagOfAcquire(40_100)));
        assertTrue(reg.arrayCopies() >= 3);
    }
}
