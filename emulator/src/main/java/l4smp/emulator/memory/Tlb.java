package l4smp.emulator.memory;

import java.util.Arrays;

/**
 * One CPU's data TLB: untagged (no address-space id; flushed on an address-space switch),
 * set-associative with LRU, 4 KB pages. An entry caches a page's frame and the combined
 * permissions of its PDE and PTE (writable and user only if both say so) and whether the PTE's
 * dirty bit was set when it was loaded.
 *
 * <p><b>Thread contract: owner CPU only</b> (plain fields). Its counters are kept by the
 * {@link l4smp.emulator.cache.MemorySystem} ({@code TLB_*} events), readable from any thread.
 */
public final class Tlb {

    static final int WRITABLE = 1;
    static final int USER = 2;
    static final int DIRTY = 4;

    private static final long EMPTY = -1L;

    private final long[] pages;
    private final int[] frames;
    private final byte[] flags;
    private final long[] stamps;
    private final int ways;
    private final int setMask;
    private long clock;

    public Tlb(int entries, int ways) {
        if (ways <= 0 || entries <= 0 || entries % ways != 0 || Integer.bitCount(entries / ways) != 1) {
            throw new IllegalArgumentException("bad TLB geometry " + entries + "/" + ways);
        }
        this.ways = ways;
        this.setMask = entries / ways - 1;
        this.pages = new long[entries];
        this.frames = new int[entries];
        this.flags = new byte[entries];
        this.stamps = new long[entries];
        Arrays.fill(pages, EMPTY);
    }

    /** The slot caching virtual page {@code page}, or -1. Does not touch LRU. */
    int find(long page) {
        int base = (int) (page & setMask) * ways;
        for (int i = base, end = base + ways; i < end; i++) {
            if (pages[i] == page) {
                return i;
            }
        }
        return -1;
    }

    void touch(int slot) { stamps[slot] = ++clock; }

    int frameAt(int slot) { return frames[slot]; }

    int flagsAt(int slot) { return flags[slot]; }

    /** Caches a translation, replacing the entry of the same page or the set's LRU entry. */
    void insert(long page, int frame, int entryFlags) {
        int slot = find(page);
        if (slot < 0) {
            int base = (int) (page & setMask) * ways;
            slot = base;
            long oldest = Long.MAX_VALUE;
            for (int i = base, end = base + ways; i < end; i++) {
                if (pages[i] == EMPTY) {
                    slot = i;
                    break;
                }
                if (stamps[i] < oldest) {
                    oldest = stamps[i];
                    slot = i;
                }
            }
        }
        pages[slot] = page;
        frames[slot] = frame;
        flags[slot] = (byte) entryFlags;
        stamps[slot] = ++clock;
    }

    /** Drops every entry ({@code mov cr3}). */
    void flushAll() {
        Arrays.fill(pages, EMPTY);
    }

    /** Drops the entry of one virtual page ({@code invlpg}); whether there was one. */
    boolean invalidate(long page) {
        int slot = find(page);
        if (slot < 0) {
            return false;
        }
        pages[slot] = EMPTY;
        return true;
    }

    /** Whether the TLB caches virtual page {@code page} (tests, reports). Owner CPU only. */
    public boolean cachesPagePlain(int virtualAddress) {
        return find(Integer.toUnsignedLong(virtualAddress) >>> 12) >= 0;
    }

    /** Valid entries. Owner CPU only. */
    public int sizePlain() {
        int n = 0;
        for (long p : pages) {
            if (p != EMPTY) {
                n++;
            }
        }
        return n;
    }

    public int capacity() { return pages.length; }

    /**
     * The entries that disagree with the page tables at {@code pageDirectory} (the tables this
     * untagged TLB translates for): each valid entry must name a present page, its frame, and no
     * more rights than PDE and PTE grant together. Empty when all agree. Owner CPU, or any thread
     * while the machine is stopped.
     */
    public java.util.List<String> disagreements(PhysicalMemory memory, long pageDirectory) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < pages.length; i++) {
            if (pages[i] == EMPTY) {
                continue;
            }
            int virt = (int) (pages[i] << 12);
            int pde = PageTables.pde(memory, pageDirectory, virt);
            int pte = PageTables.pte(memory, pageDirectory, virt);
            String where = "TLB entry for 0x" + Integer.toHexString(virt) + ": ";
            if ((pde & PageTables.PRESENT) == 0 || (pte & PageTables.PRESENT) == 0) {
                out.add(where + "the page is not present in the page tables");
                continue;
            }
            if (frames[i] != pte >>> 12) {
                out.add(where + "frame 0x" + Integer.toHexString(frames[i]) + ", the PTE says 0x"
                        + Integer.toHexString(pte >>> 12));
            }
            int rights = pde & pte;
            if ((flags[i] & WRITABLE) != 0 && (rights & PageTables.WRITABLE) == 0) {
                out.add(where + "writable, the tables say read-only");
            }
            if ((flags[i] & USER) != 0 && (rights & PageTables.USER) == 0) {
                out.add(where + "user-accessible, the tables say supervisor only");
            }
        }
        return out;
    }
}
