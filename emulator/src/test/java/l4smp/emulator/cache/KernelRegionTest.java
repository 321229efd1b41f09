package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.junit.jupiter.api.Test;

class KernelRegionTest {

    @Test
    void allocationsAreLineAlignedDisjointAndTagged() {
        ConcurrentAttributionRegistry reg = new ConcurrentAttributionRegistry();
        KernelRegion r = new KernelRegion(reg, 0x200000, 4096, 32);
        long tcb = r.allocateLines(4, AttributionTags.TCB_LOCAL);
        long flag = r.allocateBytes(4, AttributionTags.MAILBOX);
        long lock = r.allocateBytes(33, AttributionTags.SPINLOCK);
        assertEquals(0x200000, tcb);
        assertEquals(0x200000 + 128, flag);
        assertEquals(0x200000 + 160, lock);
        assertEquals(0, lock % 32);
        assertEquals(160 + 64, r.usedBytesVolatile());
        assertEquals(AttributionTags.TCB_LOCAL, reg.tagNameAcquire(reg.tagOfAcquire(tcb + 127)));
        assertEquals(AttributionTags.MAILBOX, reg.tagNameAcquire(reg.tagOfAcquire(flag + 31)));
        assertEquals(AttributionTags.SPINLOCK, reg.tagNameAcquire(reg.tagOfAcquire(lock + 63)));
        assertEquals(0, reg.tagOfAcquire(lock + 64));
        assertEquals(0, reg.tagOfAcquire(0x1FFFFF));
        assertNotEquals(reg.tagId(AttributionTags.TCB_LOCAL), reg.tagId(AttributionTags.MAILBOX));
        assertThrows(IllegalStateException.class, () -> r.allocateBytes(4096, "too big"));
        assertThrows(IllegalArgumentException.class, () -> reg.register(0x200010, 8, "overlap"));
    }

    /**
     * A region of a memory system creates the directory chunks of the frames each allocation
     * covers (setup pre-allocates: a CPU's first touch of a TCB allocates nothing), and only
     * those; the lines stay invalid and unstamped, as if never touched.
     */
    @Test
    void anAllocationCreatesTheDirectoryChunksOfItsFrames() {
        MemorySystem m = new MemorySystem(CostModel.PIII_450, 2, new PhysicalMemory(1 << 20));
        ConcurrentMesiDirectory d = m.directory();
        int shift = d.lineShift();
        KernelRegion r = KernelRegion.of(m, 0x10000, 0x10000);
        long small = r.allocateBytes(100, AttributionTags.TCB_LOCAL);          // frame 0x10
        long big = r.allocateBytes(0x2000, AttributionTags.USER_PAGE);        // frames 0x10..0x12
        assertEquals(0x10000, small);
        for (long frame = 0x10; frame <= 0x12; frame++) {
            assertNotNull(d.chunkOrNullAcquire((frame << 12) >>> shift), "frame 0x" + Long.toHexString(frame));
        }
        assertNull(d.chunkOrNullAcquire((0x13L << 12) >>> shift), "the frame after the last allocation");
        assertNull(d.chunkOrNullAcquire((0x0FL << 12) >>> shift), "the frame before the region");
        assertEquals(0L, d.stateAcquire(big >>> shift));
        assertEquals(0L, d.stampAcquire((big + 0x1FFF) >>> shift));
        assertEquals(0L, m.checkInvariants().linesChecked());
    }
}
