package l4smp.emulator.memory;

import java.util.function.IntSupplier;

/**
 * The Pentium's two-level page tables (4 KB pages, 10/10/12 split) as they lie in physical
 * memory: a page directory of 1024 PDEs, each naming a page table of 1024 PTEs. Entry bits as
 * on the Pentium; 4 MB pages and the global bit are not modelled.
 *
 * <p>These helpers edit tables directly in physical memory (volatile writes, so a walker on
 * another CPU sees a complete entry) without charging the accounting layer: a kernel that
 * wants its page-table edits charged touches the entry through the
 * {@link l4smp.emulator.cache.MemorySystem} as well. Thread-safe per entry; the caller
 * serialises edits of one address space (the thesis's kernel does them on the space's CPU).
 */
public final class PageTables {
    private PageTables() { }

    public static final int PRESENT = 0x001;
    public static final int WRITABLE = 0x002;
    public static final int USER = 0x004;
    public static final int ACCESSED = 0x020;
    public static final int DIRTY = 0x040;
    /** The frame address bits of an entry. */
    public static final int FRAME_MASK = 0xFFFFF000;

    /** Physical address of the PDE for {@code virt} in the directory at {@code pageDirectory}. */
    public static long pdeAddress(long pageDirectory, int virt) {
        return pageDirectory + ((virt >>> 22) << 2);
    }

    /** Physical address of the PTE for {@code virt} in the page table named by {@code pde}. */
    public static long pteAddress(int pde, int virt) {
        return Integer.toUnsignedLong(pde & FRAME_MASK) + (((virt >>> 12) & 0x3FF) << 2);
    }

    /**
     * Maps the 4 KB page of {@code virt} to {@code frameAddress} with {@code flags}
     * ({@link #PRESENT} is added). A missing page table is taken from {@code newTableFrame}
     * (a frame number; the frame is zeroed) and its PDE made present, writable and user, so
     * the PTE alone decides the rights.
     *
     * @return the previous PTE
     */
    public static int map(PhysicalMemory memory, long pageDirectory, int virt, long frameAddress, int flags,
                          IntSupplier newTableFrame) {
        if ((frameAddress & 0xFFF) != 0 || frameAddress < 0 || frameAddress > 0xFFFFF000L) {
            throw new IllegalArgumentException("frame address must be 4 KB aligned and 32-bit: 0x"
                    + Long.toHexString(frameAddress));
        }
        long pdeAddr = pdeAddress(pageDirectory, virt);
        int pde = memory.intVolatile(pdeAddr);
        if ((pde & PRESENT) == 0) {
            int frame = newTableFrame.getAsInt();
            memory.zeroFramePlain(frame);
            pde = (frame << 12) | PRESENT | WRITABLE | USER;
            memory.setIntVolatile(pdeAddr, pde);
        }
        long pteAddr = pteAddress(pde, virt);
        int old = memory.intVolatile(pteAddr);
        memory.setIntVolatile(pteAddr, (int) frameAddress | (flags & 0xFFF) | PRESENT);
        return old;
    }

    /** Clears the PTE of {@code virt} (if its table exists); returns the previous PTE, or 0. */
    public static int unmap(PhysicalMemory memory, long pageDirectory, int virt) {
        int pde = memory.intVolatile(pdeAddress(pageDirectory, virt));
        if ((pde & PRESENT) == 0) {
            return 0;
        }
        return memory.getAndSetInt(pteAddress(pde, virt), 0);
    }

    /** The PTE of {@code virt}, or 0 if its page table is not present. */
    public static int pte(PhysicalMemory memory, long pageDirectory, int virt) {
        int pde = memory.intVolatile(pdeAddress(pageDirectory, virt));
        if ((pde & PRESENT) == 0) {
            return 0;
        }
        return memory.intVolatile(pteAddress(pde, virt));
    }

    /** The PDE of {@code virt}. */
    public static int pde(PhysicalMemory memory, long pageDirectory, int virt) {
        return memory.intVolatile(pdeAddress(pageDirectory, virt));
    }
}
