package l4smp.emulator.memory;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.MemoryEvent;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cost.CostModel;

/**
 * The MMUs of all CPUs: per-CPU untagged TLBs and the Pentium page walker.
 *
 * <p>{@link #translate} looks the page up in the CPU's TLB; on a miss it walks the two-level
 * tables in physical memory, and every PDE/PTE read of the walk is an access of the
 * {@link MemorySystem} (the Pentium caches page-table entries in L1 and L2, thesis 3.1); setting
 * an accessed or dirty bit is a locked read-modify-write of the entry. A missing or forbidden
 * page is reported to the caller as a fault value (nothing is thrown); the kernel handles it.
 *
 * <p>Rights: a user access needs the user bit in both PDE and PTE; a write needs the writable
 * bit in both, for user accesses always and for supervisor accesses only when
 * {@code supervisorWriteProtect} (the Pentium's CR0.WP, clear after reset) is set.
 * A write through a TLB entry loaded with the dirty bit clear walks again to set it, as the P6
 * does. Faulting translations are not cached.
 *
 * <p><b>Threads.</b> Each CPU's TLB and pending-cycle count are <b>owner CPU only</b>: call
 * {@link #translate}, {@link #takeCycles}, {@link #flushTlb} and {@link #invalidatePage} for CPU
 * {@code cpu} only on that CPU's thread. A TLB shootdown is therefore an IPI to the target,
 * whose handler calls {@link #invalidatePage} or {@link #flushTlb} itself (thesis 3.1.1).
 * Page-table entries are read with acquire and updated by CAS, so walks on several CPUs and
 * kernel edits ({@link PageTables}) may race safely.
 */
public final class Mmu {

    private final MemorySystem memory;
    private final PhysicalMemory phys;
    private final Tlb[] tlbs;
    /** Per CPU, in its own padded slot: cycles charged by translate and not yet taken. */
    private final long[] pending;
    private static final int PENDING_STRIDE = 16;
    private final int tlbMissCenti;
    private final boolean supervisorWriteProtect;

    /** An MMU with CR0.WP clear (supervisor writes ignore the writable bit). */
    public Mmu(MemorySystem memory) {
        this(memory, false);
    }

    public Mmu(MemorySystem memory, boolean supervisorWriteProtect) {
        this.memory = memory;
        this.phys = memory.physicalMemory();
        CostModel.MemoryHierarchy h = memory.costModel().memory();
        this.tlbs = new Tlb[memory.cpuCount()];
        for (int i = 0; i < tlbs.length; i++) {
            tlbs[i] = new Tlb(h.tlbEntries(), h.tlbWays());
        }
        this.pending = new long[(tlbs.length + 1) * PENDING_STRIDE];
        this.tlbMissCenti = h.tlbMissCenti();
        this.supervisorWriteProtect = supervisorWriteProtect;
    }

    /** Whether a {@link #translate} result is a fault. */
    public static boolean isFault(long result) {
        return result < 0;
    }

    /** The Pentium error code of a fault result (see {@link PageFault}). */
    public static int faultErrorCode(long result) {
        return (int) (-1 - result);
    }

    /** The fault of a fault result, as an object (allocates: off the hot path). */
    public static PageFault describeFault(long result, int virtualAddress) {
        if (!isFault(result)) {
            throw new IllegalArgumentException("not a fault: " + result);
        }
        return new PageFault(virtualAddress, faultErrorCode(result));
    }

    private static long fault(int errorCode) {
        return -1L - errorCode;
    }

    /**
     * Translates {@code virt} for CPU {@code cpu} in the address space whose page directory is
     * at {@code pageDirectoryPhys}. <b>Owner CPU only.</b> The cycles of a walk are added to the
     * CPU's pending count ({@link #takeCycles}); a TLB hit costs nothing (it is looked up in
     * parallel with the L1, thesis 3.1).
     *
     * @return the physical address (&ge; 0), or a fault value ({@link #isFault})
     */
    public long translate(int cpu, long pageDirectoryPhys, int virt, boolean write, boolean user) {
        final Tlb tlb = tlbs[cpu];
        final long page = Integer.toUnsignedLong(virt) >>> 12;
        final int slot = tlb.find(page);
        final int err = (write ? PageFault.WRITE : 0) | (user ? PageFault.USER : 0);
        if (slot >= 0) {
            final int f = tlb.flagsAt(slot);
            memory.incrementCounter(cpu, MemoryEvent.TLB_HITS);
            if ((user && (f & Tlb.USER) == 0)
                    || (write && (f & Tlb.WRITABLE) == 0 && (user || supervisorWriteProtect))) {
                memory.incrementCounter(cpu, MemoryEvent.PAGE_FAULTS);
                return fault(err | PageFault.PROTECTION);
            }
            if (!write || (f & Tlb.DIRTY) != 0) {
                tlb.touch(slot);
                return ((long) tlb.frameAt(slot) << 12) | (virt & 0xFFF);
            }
            memory.incrementCounter(cpu, MemoryEvent.DIRTY_BIT_ASSISTS);
        } else {
            memory.incrementCounter(cpu, MemoryEvent.TLB_MISSES);
        }
        return walk(cpu, tlb, pageDirectoryPhys, virt, page, write, user, err);
    }

    private long walk(int cpu, Tlb tlb, long pd, int virt, long page, boolean write, boolean user, int err) {
        memory.incrementCounter(cpu, MemoryEvent.PAGE_WALKS);
        long cycles = memory.chargeCentiCycles(cpu, tlbMissCenti);
        final long pdeAddr = PageTables.pdeAddress(pd, virt);
        cycles += memory.access(cpu, pdeAddr, AccessKind.READ);
        int pde = phys.intAcquire(pdeAddr);
        if ((pde & PageTables.PRESENT) == 0) {
            return walkFault(cpu, cycles, err);
        }
        final long pteAddr = PageTables.pteAddress(pde, virt);
        cycles += memory.access(cpu, pteAddr, AccessKind.READ);
        int pte = phys.intAcquire(pteAddr);
        if ((pte & PageTables.PRESENT) == 0) {
            return walkFault(cpu, cycles, err);
        }
        final int rights = pde & pte;
        if ((user && (rights & PageTables.USER) == 0)
                || (write && (rights & PageTables.WRITABLE) == 0 && (user || supervisorWriteProtect))) {
            return walkFault(cpu, cycles, err | PageFault.PROTECTION);
        }
        if ((pde & PageTables.ACCESSED) == 0) {
            if (setBitsIfPresent(pdeAddr, PageTables.ACCESSED) == 0) {
                return walkFault(cpu, cycles, err);          // the kernel removed it meanwhile
            }
            cycles += memory.access(cpu, pdeAddr, AccessKind.LOCKED_RMW);
        }
        final int wanted = PageTables.ACCESSED | (write ? PageTables.DIRTY : 0);
        if ((pte & wanted) != wanted) {
            pte = setBitsIfPresent(pteAddr, wanted);
            if (pte == 0) {
                return walkFault(cpu, cycles, err);
            }
            cycles += memory.access(cpu, pteAddr, AccessKind.LOCKED_RMW);
        }
        final int flags = ((rights & PageTables.WRITABLE) != 0 ? Tlb.WRITABLE : 0)
                | ((rights & PageTables.USER) != 0 ? Tlb.USER : 0)
                | ((pte & PageTables.DIRTY) != 0 ? Tlb.DIRTY : 0);
        final int frame = pte >>> 12;
        tlb.insert(page, frame, flags);
        addPending(cpu, cycles);
        return ((long) frame << 12) | (virt & 0xFFF);
    }

    private long walkFault(int cpu, long cycles, int err) {
        memory.incrementCounter(cpu, MemoryEvent.PAGE_FAULTS);
        addPending(cpu, cycles);
        return fault(err);
    }

    /** ORs bits into a present entry by CAS; returns the new entry, or 0 if it is not present. */
    private int setBitsIfPresent(long entryAddr, int bits) {
        while (true) {
            int v = phys.intAcquire(entryAddr);
            if ((v & PageTables.PRESENT) == 0) {
                return 0;
            }
            // CAS (volatile), as the locked bus cycle the Pentium uses for A/D updates.
            if (phys.casInt(entryAddr, v, v | bits)) {
                return v | bits;
            }
        }
    }

    private void addPending(int cpu, long cycles) {
        pending[(cpu + 1) * PENDING_STRIDE] += cycles;      // owner-only plain slot, padded
    }

    /**
     * The cycles that {@link #translate} charged (walks, A/D updates) since the last call, and
     * resets them. <b>Owner CPU only.</b>
     */
    public long takeCycles(int cpu) {
        int i = (cpu + 1) * PENDING_STRIDE;
        long c = pending[i];
        pending[i] = 0;
        return c;
    }

    /** Flushes the CPU's whole TLB (an address-space switch, {@code mov cr3}). <b>Owner CPU only.</b> */
    public void flushTlb(int cpu) {
        memory.incrementCounter(cpu, MemoryEvent.TLB_FLUSHES);
        tlbs[cpu].flushAll();
    }

    /** Invalidates the CPU's TLB entry of {@code virt} ({@code invlpg}). <b>Owner CPU only.</b> */
    public void invalidatePage(int cpu, int virt) {
        memory.incrementCounter(cpu, MemoryEvent.TLB_INVALIDATIONS);
        tlbs[cpu].invalidate(Integer.toUnsignedLong(virt) >>> 12);
    }

    /**
     * Checks every CPU's TLB against the page tables it translates for ({@code pageDirectories[cpu]},
     * or none for a CPU with no address space: then its TLB must be empty). Call only while the
     * machine is stopped. An empty list means every entry agrees.
     */
    public java.util.List<String> checkTlbs(long[] pageDirectories) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int cpu = 0; cpu < tlbs.length; cpu++) {
            long pd = pageDirectories == null || cpu >= pageDirectories.length ? -1 : pageDirectories[cpu];
            if (pd < 0) {
                if (tlbs[cpu].sizePlain() != 0) {
                    out.add("cpu" + cpu + ": " + tlbs[cpu].sizePlain() + " TLB entries but no address space");
                }
                continue;
            }
            for (String d : tlbs[cpu].disagreements(phys, pd)) {
                out.add("cpu" + cpu + ": " + d);
            }
        }
        return out;
    }

    /** The CPU's TLB (inspection). <b>Owner CPU only.</b> */
    public Tlb tlb(int cpu) {
        return tlbs[cpu];
    }

    public MemorySystem memorySystem() {
        return memory;
    }
}
