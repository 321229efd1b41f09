package l4smp.emulator.cache;

import java.util.Arrays;

/**
 * The tags and LRU order of one cache level of one CPU: set-associative, true LRU.
 *
 * <p>Holds line numbers only; the data live in physical memory and the coherence state in the
 * {@link ConcurrentMesiDirectory}. <b>Thread contract: owner CPU only</b> (plain fields; the
 * invariant checker reads it only while the machine is quiescent).
 */
final class SingleWriterSetAssociativeCache {

    static final long EMPTY = -1L;

    private final long[] tags;
    /** Each slot's LRU stamp (the larger, the more recently used); a memoised hit run stamps its slots itself. */
    final long[] stamps;
    private final int ways;
    private final int setMask;
    private long clock;

    SingleWriterSetAssociativeCache(int sets, int ways) {
        if (sets <= 0 || Integer.bitCount(sets) != 1 || ways <= 0) {
            throw new IllegalArgumentException("bad cache geometry " + sets + " sets x " + ways + " ways");
        }
        this.ways = ways;
        this.setMask = sets - 1;
        this.tags = new long[sets * ways];
        this.stamps = new long[sets * ways];
        Arrays.fill(tags, EMPTY);
    }

    /** The slot holding {@code line}, or -1. */
    int find(long line) {
        final long[] t = tags;
        if (ways == 4) {
            // The Pentium III's L1 and L2 (3.2): the set's four tags compared without a loop, the
            // accounting layer's most frequent lookup (every access not to the previous line).
            final int b = (int) (line & setMask) << 2;
            if (t[b] == line) {
                return b;
            }
            if (t[b + 1] == line) {
                return b + 1;
            }
            if (t[b + 2] == line) {
                return b + 2;
            }
            return t[b + 3] == line ? b + 3 : -1;
        }
        int base = (int) (line & setMask) * ways;
        for (int i = base, end = base + ways; i < end; i++) {
            if (t[i] == line) {
                return i;
            }
        }
        return -1;
    }

    /**
     * One pass over {@code line}'s set: the slot holding it, or, if none does, {@code -1 - v}
     * where {@code v} is {@link #victimSlot}'s answer (an empty way, else the least recently used).
     */
    int findOrVictim(long line) {
        final long[] t = tags;
        final long[] st = stamps;
        final int base = (int) (line & setMask) * ways;
        int victim = base;
        int empty = -1;
        long oldest = Long.MAX_VALUE;
        for (int i = base, end = base + ways; i < end; i++) {
            final long tag = t[i];
            if (tag == line) {
                return i;
            }
            if (tag == EMPTY) {
                if (empty < 0) {
                    empty = i;
                }
            } else if (st[i] < oldest) {
                oldest = st[i];
                victim = i;
            }
        }
        return -1 - (empty >= 0 ? empty : victim);
    }

    /** The last LRU stamp given. */
    long lruClock() {
        return clock;
    }

    /** Sets the last LRU stamp given (after a memoised hit run stamped its slots itself). */
    void setLruClock(long stamp) {
        clock = stamp;
    }

    /** Marks the slot most recently used. */
    void touch(int slot) {
        stamps[slot] = ++clock;
    }

    /** The slot to fill for {@code line}: an empty way, else the least recently used one. */
    int victimSlot(long line) {
        int base = (int) (line & setMask) * ways;
        int victim = base;
        long oldest = Long.MAX_VALUE;
        for (int i = base, end = base + ways; i < end; i++) {
            if (tags[i] == EMPTY) {
                return i;
            }
            if (stamps[i] < oldest) {
                oldest = stamps[i];
                victim = i;
            }
        }
        return victim;
    }

    /**
     * {@link #remove}({@code drop}) followed by {@link #victimSlot}({@code line}) in one pass over
     * {@code line}'s set, for a {@code drop} in the same set ({@link #sameSet}) or {@link #EMPTY}.
     */
    int victimSlotDropping(long line, long drop) {
        final long[] t = tags;
        final long[] st = stamps;
        final int base = (int) (line & setMask) * ways;
        int victim = base;
        int empty = -1;
        long oldest = Long.MAX_VALUE;
        for (int i = base, end = base + ways; i < end; i++) {
            long tag = t[i];
            if (tag == drop && tag != EMPTY) {
                t[i] = EMPTY;
                st[i] = 0;
                tag = EMPTY;
            }
            if (tag == EMPTY) {
                if (empty < 0) {
                    empty = i;
                }
            } else if (st[i] < oldest) {
                oldest = st[i];
                victim = i;
            }
        }
        return empty >= 0 ? empty : victim;
    }

    /** Whether two lines map to the same set (an {@link #EMPTY} line to every set). */
    boolean sameSet(long a, long b) {
        return a == EMPTY || ((a ^ b) & setMask) == 0;
    }

    long tagAt(int slot) { return tags[slot]; }

    /** Puts {@code line} in {@code slot} as the most recently used. */
    void fill(int slot, long line) {
        tags[slot] = line;
        stamps[slot] = ++clock;
    }

    void clear(int slot) {
        tags[slot] = EMPTY;
        stamps[slot] = 0;
    }

    /** Drops {@code line} if present; whether it was. */
    boolean remove(long line) {
        int slot = find(line);
        if (slot < 0) {
            return false;
        }
        clear(slot);
        return true;
    }

    int capacity() { return tags.length; }
}
