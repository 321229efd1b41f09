package l4smp.emulator.cache;

/**
 * A fixed sequence of accesses that a kernel path charges again and again (the IPC fast path's
 * TCB words, the thread switch's, a message copy's registers): each entry names a base (an index
 * into the array of base addresses the caller passes with each run), the access's kind and the
 * word's offset from that base. The caller builds its plans once and fills the bases per run
 * ({@link MemorySystem.SingleWriterCpuPort#accessRun}).
 *
 * <p>A plan also keeps its memo of hit runs ({@link Memo}): where the lines of a run that was
 * all L1 hits sit in the CPU's L1 and directory, so that the same run can be charged again
 * without classifying each access while nothing has changed any cache or directory state since
 * (see the port's "Memoised hit runs").
 *
 * <p><b>Thread contract: owner CPU only.</b> The entries are immutable; the memo is plain
 * single-writer data of the one CPU that charges the plan (a plan is never shared between
 * CPUs: a run checks that the memo is its own port's).
 */
public final class SingleWriterAccessPlan {

    /** Bits of an entry: the base's index (low 3), the kind's ordinal (next 2), the offset (above). */
    static final int BASE_MASK = 7;
    static final int KIND_SHIFT = 3;
    static final int KIND_MASK = 3;
    static final int OFFSET_SHIFT = 5;

    private static final AccessKind[] KINDS = AccessKind.values();

    final int[] entries;
    /** The base indices the entries use, each once, ascending: the memo's key. */
    final int[] usedBases;
    /** The memo's two ways: the one last used first (two, for a path run both ways: a call and its reply). */
    Memo recent;
    Memo older;

    /**
     * A plan of {@code entries} ({@link #entry}), in order. An entry's offset must leave its
     * word in a range of accesses that the caller means: nothing checks the addresses.
     */
    public SingleWriterAccessPlan(int... entries) {
        this.entries = entries.clone();
        int used = 0;
        for (int e : this.entries) {
            used |= 1 << base(e);
        }
        this.usedBases = new int[Integer.bitCount(used)];
        for (int b = 0, j = 0; b <= BASE_MASK; b++) {
            if ((used & (1 << b)) != 0) {
                usedBases[j++] = b;
            }
        }
        this.recent = new Memo(this.entries.length, usedBases.length);
        this.older = new Memo(this.entries.length, usedBases.length);
    }

    /** The number of entries. */
    public int length() {
        return entries.length;
    }

    /** Entry {@code i} ({@link #entry}). */
    public int entryAt(int i) {
        return entries[i];
    }

    /**
     * An entry: an access of {@code kind} to the word at {@code offset} from base {@code base}
     * (0 to 7) of the run's bases.
     */
    public static int entry(int base, AccessKind kind, int offset) {
        if (base < 0 || base > BASE_MASK || offset < 0 || offset > (Integer.MAX_VALUE >>> OFFSET_SHIFT)) {
            throw new IllegalArgumentException("plan entry out of range: base " + base + ", offset " + offset);
        }
        return base | kind.ordinal() << KIND_SHIFT | offset << OFFSET_SHIFT;
    }

    /** The base index of {@code entry}. */
    public static int base(int entry) {
        return entry & BASE_MASK;
    }

    /** The kind of {@code entry}. */
    public static AccessKind kind(int entry) {
        return KINDS[(entry >>> KIND_SHIFT) & KIND_MASK];
    }

    /** The offset of {@code entry} from its base. */
    public static int offset(int entry) {
        return entry >>> OFFSET_SHIFT;
    }

    /** The address of {@code entry}'s word: {@code bases[base] + offset}. */
    public static long address(long[] bases, int entry) {
        return bases[base(entry)] + offset(entry);
    }

    /**
     * One way of a plan's memo: a run of the plan's first {@link #count} entries with the bases
     * {@link #key} that was all L1 hits of CPU {@link #owner}'s port, noted when the layer's
     * state epoch was {@link #epoch} (valid only while it still is), as a replay needs it: the
     * L1 slots its accesses touch, its writes' stamp words and the state it leaves. A way is
     * noted first (owner, epoch, count, key) and filled at its first replay, when the same run
     * is asked for again while the epoch still holds ({@link #filled}; the port's "Recording on
     * second sight"). Owner CPU only.
     */
    static final class Memo {
        /** The port whose run this is, or null (empty). */
        MemorySystem.SingleWriterCpuPort owner;
        /** The layer's state epoch of the note; -1: none. */
        long epoch = -1;
        /** Entries noted (from the first). */
        int count;
        /** The run's bases at the plan's used base indices. */
        final long[] key;
        /** Whether the fields below are the noted run's (false: noted, not yet filled). */
        boolean filled;
        /** The first entry's line and its L1 slot (touched unless the CPU's previous access was to that line). */
        long firstLine;
        int firstSlot;
        /**
         * The L1 slots that the entries after the first touch, in order: every entry whose line
         * is not the line of the entry before it (the last-line rule).
         */
        final int[] touchSlots;
        int touches;
        /** Per write, in order: its position in the run (1 for the first entry), its line's directory chunk and its word's index there. */
        final int[] writePositions;
        final long[][] writeChunks;
        final int[] writeIndexes;
        int writes;
        /** The last entry's line and directory chunk (the port's last line and frame memo after the run). */
        long lastLine;
        long[] lastChunk;

        Memo(int entries, int bases) {
            this.key = new long[bases];
            this.touchSlots = new int[entries];
            this.writePositions = new int[entries];
            this.writeChunks = new long[entries][];
            this.writeIndexes = new int[entries];
        }
    }
}
