package l4smp.emulator.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;

import l4smp.emulator.cache.MemoryEvent;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cost.CostModel;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MmuTest {

    private static final long PD = 0x1000;
    private static final int USER_VA = 0x0040_0123;
    private static final long USER_FRAME = 0x20_0000;
    private static final int KERNEL_VA = 0xC000_0000;
    private static final long KERNEL_FRAME = 0x30_0000;
    private static final int RO_VA = 0x0080_0000;

    private PhysicalMemory phys;
    private MemorySystem mem;
    private Mmu mmu;

    @BeforeEach
    void setUp() {
        phys = new PhysicalMemory(16L << 20);
        mem = new MemorySystem(CostModel.PIII_450, 2, phys);
        mmu = new Mmu(mem);
        AtomicInteger nextFrame = new AtomicInteger(2);
        PageTables.map(phys, PD, USER_VA, USER_FRAME, PageTables.USER | PageTables.WRITABLE, nextFrame::getAndIncrement);
        PageTables.map(phys, PD, KERNEL_VA, KERNEL_FRAME, PageTables.WRITABLE, nextFrame::getAndIncrement);
        PageTables.map(phys, PD, RO_VA, USER_FRAME + 0x1000, PageTables.USER, nextFrame::getAndIncrement);
    }

    @AfterEach
    void invariantsHold() {
        mem.checkInvariants().orThrow();
    }

    @Test
    void missWalksThroughTheCachesThenHits() {
        long pa = mmu.translate(0, PD, USER_VA, false, true);
        assertEquals(USER_FRAME + 0x123, pa);
        assertEquals(1, mem.countOpaque(0, MemoryEvent.TLB_MISSES));
        assertEquals(1, mem.countOpaque(0, MemoryEvent.PAGE_WALKS));
        assertEquals(2, mem.countOpaque(0, MemoryEvent.READS), "PDE and PTE reads are cache accesses");
        assertEquals(2, mem.countOpaque(0, MemoryEvent.LOCKED_RMWS), "accessed bits set in PDE and PTE");
        long walk = mmu.takeCycles(0);
        assertTrue(walk > 80, "two memory fills and more: " + walk);
        assertEquals(0, mmu.takeCycles(0));

        assertEquals(USER_FRAME + 0x456, mmu.translate(0, PD, (USER_VA & ~0xFFF) | 0x456, false, true));
        assertEquals(1, mem.countOpaque(0, MemoryEvent.TLB_HITS));
        assertEquals(0, mmu.takeCycles(0), "a TLB hit is free");
        assertEquals(2, mem.countOpaque(0, MemoryEvent.READS));
    }

    @Test
    void walkSetsAccessedAndDirtyBits() {
        mmu.translate(0, PD, USER_VA, false, true);
        int pte = PageTables.pte(phys, PD, USER_VA);
        assertTrue((pte & PageTables.ACCESSED) != 0);
        assertFalse((pte & PageTables.DIRTY) != 0);
        assertTrue((PageTables.pde(phys, PD, USER_VA) & PageTables.ACCESSED) != 0);
        // A write through the clean entry walks again to set the dirty bit.
        assertEquals(USER_FRAME + 0x123, mmu.translate(0, PD, USER_VA, true, true));
        assertEquals(1, mem.countOpaque(0, MemoryEvent.DIRTY_BIT_ASSISTS));
        assertTrue((PageTables.pte(phys, PD, USER_VA) & PageTables.DIRTY) != 0);
        long walks = mem.countOpaque(0, MemoryEvent.PAGE_WALKS);
        mmu.translate(0, PD, USER_VA, true, true);
        assertEquals(walks, mem.countOpaque(0, MemoryEvent.PAGE_WALKS), "dirty entry: no more walks");
    }

    @Test
    void notPresentFaults() {
        long r = mmu.translate(0, PD, 0x1234_5678, true, true);
        assertTrue(Mmu.isFault(r));
        PageFault f = Mmu.describeFault(r, 0x1234_5678);
        assertTrue(f.notPresent());
        assertTrue(f.write());
        assertTrue(f.user());
        assertEquals(1, mem.countOpaque(0, MemoryEvent.PAGE_FAULTS));
        // A present table but an absent page.
        r = mmu.translate(0, PD, USER_VA + 0x1000, false, false);
        assertTrue(Mmu.isFault(r));
        assertEquals(0, Mmu.faultErrorCode(r));
        assertFalse(mmu.tlb(0).cachesPagePlain(USER_VA + 0x1000));
    }

    @Test
    void protectionFaults() {
        long r = mmu.translate(0, PD, KERNEL_VA, false, true);
        assertEquals(PageFault.PROTECTION | PageFault.USER, Mmu.faultErrorCode(r));
        assertTrue(mmu.translate(0, PD, KERNEL_VA, true, false) >= 0, "kernel may write its page");
        r = mmu.translate(0, PD, RO_VA, true, true);
        assertEquals(PageFault.PROTECTION | PageFault.WRITE | PageFault.USER, Mmu.faultErrorCode(r));
        assertTrue(mmu.translate(0, PD, RO_VA, false, true) >= 0);
        // Now cached in the TLB: the same write faults from the TLB entry.
        r = mmu.translate(0, PD, RO_VA, true, true);
        assertEquals(PageFault.PROTECTION | PageFault.WRITE | PageFault.USER, Mmu.faultErrorCode(r));
        assertTrue(mmu.translate(0, PD, RO_VA, true, false) >= 0, "CR0.WP clear: supervisor writes");
        Mmu wp = new Mmu(mem, true);
        assertTrue(Mmu.isFault(wp.translate(1, PD, RO_VA, true, false)));
    }

    @Test
    void flushAndInvalidate() {
        mmu.translate(0, PD, USER_VA, false, true);
        mmu.translate(0, PD, KERNEL_VA, false, false);
        assertEquals(2, mmu.tlb(0).sizePlain());
        mmu.invalidatePage(0, USER_VA);
        assertFalse(mmu.tlb(0).cachesPagePlain(USER_VA));
        assertTrue(mmu.tlb(0).cachesPagePlain(KERNEL_VA));
        assertEquals(1, mem.countOpaque(0, MemoryEvent.TLB_INVALIDATIONS));
        mmu.flushTlb(0);
        assertEquals(0, mmu.tlb(0).sizePlain());
        assertEquals(1, mem.countOpaque(0, MemoryEvent.TLB_FLUSHES));
        long misses = mem.countOpaque(0, MemoryEvent.TLB_MISSES);
        mmu.translate(0, PD, KERNEL_VA, false, false);
        assertEquals(misses + 1, mem.countOpaque(0, MemoryEvent.TLB_MISSES));
    }

    @Test
    void tlbInvariantCheckerFindsStaleEntriesAndAcceptsFlushedOnes() {
        mmu.translate(0, PD, USER_VA, true, true);
        mmu.translate(0, PD, RO_VA, false, true);
        assertEquals(java.util.List.of(), mmu.checkTlbs(new long[]{PD, -1}));
        // The kernel unmaps a page without a shootdown: the entry is stale.
        PageTables.unmap(phys, PD, USER_VA);
        java.util.List<String> stale = mmu.checkTlbs(new long[]{PD, -1});
        assertEquals(1, stale.size(), stale::toString);
        assertTrue(stale.get(0).contains("not present"), stale.get(0));
        // After the flush every entry agrees with the tables again.
        mmu.flushTlb(0);
        mmu.translate(0, PD, RO_VA, false, true);
        assertEquals(java.util.List.of(), mmu.checkTlbs(new long[]{PD, -1}));
        // A TLB with entries but no address space is reported.
        assertEquals(1, mmu.checkTlbs(new long[]{-1, -1}).size());
    }

    @Test
    void untaggedTlbServesTheOldSpaceUntilFlushed() {
        long pd2 = 0x8000;
        PageTables.map(phys, pd2, USER_VA, 0x50_0000, PageTables.USER, () -> 9);
        assertEquals(USER_FRAME + 0x123, mmu.translate(0, PD, USER_VA, false, true));
        // Switching spaces without a flush would hit the old translation (the thesis's 3.1.1).
        assertEquals(USER_FRAME + 0x123, mmu.translate(0, pd2, USER_VA, false, true));
        mmu.flushTlb(0);
        assertEquals(0x50_0123, mmu.translate(0, pd2, USER_VA, false, true));
    }

    @Test
    void tlbIsPerCpuAndBoundedByItsGeometry() {
        mmu.translate(0, PD, USER_VA, false, true);
        assertFalse(mmu.tlb(1).cachesPagePlain(USER_VA));
        AtomicInteger next = new AtomicInteger(100);
        for (int i = 0; i < 100; i++) {
            PageTables.map(phys, PD, 0x1000_0000 + (i << 12), 0x40_0000 + ((long) i << 12), PageTables.USER,
                    next::getAndIncrement);
            assertTrue(mmu.translate(1, PD, 0x1000_0000 + (i << 12), false, true) >= 0);
        }
        assertEquals(CostModel.PIII_450.memory().tlbEntries(), mmu.tlb(1).sizePlain());
    }
}
