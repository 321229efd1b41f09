package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
