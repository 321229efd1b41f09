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
}
