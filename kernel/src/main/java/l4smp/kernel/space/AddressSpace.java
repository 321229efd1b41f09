package l4smp.kernel.space;

import java.util.HashMap;

/**
 * An address space (thesis 2.2): a page directory in kernel memory (two-level Pentium tables,
 * built lazily: a page table appears with the first mapping in its 4 MB region) and the
 * mapping-database nodes of its pages.
 *
 * <p>The upper part of every space is the kernel area (thesis 8.8): the kernel region of physical
 * memory mapped supervisor-only at {@link #KERNEL_AREA} through page tables shared by all spaces,
 * and below it the per-CPU long-IPC comm windows (8.8.2), 8 MB per CPU from {@link #COMM_AREA}.
 * User addresses are below {@link #USER_LIMIT}.
 *
 * <p>Thread contract: {@link #nodes} is guarded by the mapping database's lock; the identity
 * fields are immutable; {@code threads} is changed on the setup thread or under the lock.
 */
public final class AddressSpace {

    /** First address above the user part (3 GB). */
    public static final long USER_LIMIT = 0xC000_0000L;
    /** The per-CPU comm windows: 8 MB (two page-directory entries) per CPU (thesis 8.8.2). */
    public static final long COMM_AREA = 0xC000_0000L;
    /** Bytes of one CPU's comm window. */
    public static final int COMM_WINDOW = 8 << 20;
    /** The kernel area (upper 512 MB, thesis 8.8). */
    public static final long KERNEL_AREA = 0xE000_0000L;

    /** Its number (0 = sigma0's space). */
    public final int id;
    public final String name;
    /** Physical address of its page directory. */
    public final long pageDirectory;
    /** The mapping-database node of each mapped user page (key: virtual page number). Lock-guarded. */
    HashMap<Integer, MappingDatabase.Node> nodes;
    /** Live threads in it (informational). */
    int threads;

    AddressSpace(int id, String name, long pageDirectory) {
        this.id = id;
        this.name = name;
        this.pageDirectory = pageDirectory;
    }

    /** The comm window's first virtual address on CPU {@code cpu}. */
    public static long commWindow(int cpu) {
        return COMM_AREA + (long) cpu * COMM_WINDOW;
    }

    /** Mapped user pages (a racy snapshot while CPUs run). */
    public int mappedPages() {
        HashMap<Integer, MappingDatabase.Node> n = nodes;
        return n == null ? 0 : n.size();
    }

    @Override
    public String toString() {
        return "space" + id + "(" + name + ")";
    }
}
