package l4smp.emulator.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The global MESI directory: every CPU's state of every line the machine has touched, shared by
 * all CPU threads and lock-free (in {@link DirectoryMode#CONCURRENT} mode; see "Modes" for the
 * layer of one host thread).
 *
 * <h2>Algorithm</h2>
 * <pre>
 * One 64-bit state word per line holds the states of all CPUs:
 *
 *   word == 0                      INVALID everywhere
 *   exclusive (bit 63 set and bits 6..61 equal to the constant MARKER)
 *                                  EXCLUSIVE owner: bits 0..5 = owner CPU,
 *                                    bit 62 = dirty (1: M, 0: E)
 *   any other word                 SHARED: bit c set = CPU c holds it S (c = 0..63)
 *
 * Up to 63 CPUs a shared word never has bit 63, so no shared word looks exclusive. With 64
 * CPUs, the sharer sets of exactly the form {63} + MARKER's CPUs + any of 0..5 and 62 (a
 * constant, pseudo-random choice among CPUs 6..61: a set no scenario makes on purpose) would
 * read as exclusive words; a transition that would make such a set drops one of MARKER's CPUs
 * from it instead, as if that CPU had silently evicted its S copy (legal in MESI; its stale tag
 * becomes an invalidated-copy miss, see below), and charges the requester one invalidation.
 * The word cannot simply have one state more per CPU: 64 CPUs have 2^64 sharer sets plus 128
 * exclusive states, more than one word holds, and a state of two words could not change with
 * one CAS.
 *
 * Words live in chunks of one 4 KB frame's lines; the chunk table has one slot per physical
 * frame and a chunk is created on the first touch of its frame, or before when the frame's
 * memory is set up as kernel memory ({@link KernelRegion}); either way by compareAndExchange,
 * the loser taking the winner's chunk. After that, no operation on a line of that frame allocates.
 * A line's state word and its write stamp (below) sit side by side in the chunk, at slots 2i
 * and 2i + 1 for the frame's line i: a transition's CAS, the stamp that the CPU taking a
 * modified line reads, and the stamp a timed write stores then fall in one host cache line,
 * so the host moves one line of the directory per simulated line that changes hands, not two.
 *
 * A CPU changes a line only by compare-and-set of the whole word, computed from the word it
 * read with acquire semantics; on failure it re-reads and recomputes (the CPU whose CAS failed
 * lost a race to a CPU whose transition happened first: exactly the bus arbitration order of
 * the snooping protocol). Every transition is a single CAS, so the directory is linearizable
 * per line and lock-free (a CAS fails only because another succeeded).
 *
 * Which CPU may make which change (the requester is always the thread of the CPU named):
 *   - a CPU adds itself (read: I-&gt;E or joins S and downgrades an E/M owner to S;
 *     write: takes M, removing every other CPU);
 *   - a CPU upgrades itself (E-&gt;M silently, S-&gt;M invalidating the other sharers);
 *   - a CPU removes only itself when it evicts the line from its L2.
 * Other CPUs' private caches (tags, LRU) are owner-only plain data and are never touched by a
 * remote CPU: an invalidated copy stays as a stale tag in its owner's cache until the owner
 * next looks at it and finds the directory no longer lists it (an "invalidated-copy miss").
 * </pre>
 *
 * <h2>Invariants</h2>
 * <ol>
 * <li>At most one CPU holds a line in M or E, and then no CPU holds it in S (by encoding: an
 *     exclusive word has no sharer mask).</li>
 * <li>A shared word lists only CPUs below the CPU count, and never reads as exclusive; an
 *     exclusive word names one.</li>
 * <li>If the directory lists CPU c for a line, the line's tag is in c's L2 (only c adds c, at
 *     the time it installs the tag, and c removes itself before it drops the tag). The reverse
 *     does not hold: a tag may be stale (see above).</li>
 * <li>The directory is the truth about coherence state; the caches only say where a CPU
 *     would find a copy (L1 or L2) and their LRU order.</li>
 * </ol>
 *
 * <p>The directory supports up to {@value #MAX_CPUS} CPUs (MemorySystem checks it at
 * construction, MachineConfig before): every CPU number fits the 6 owner bits and the 64 sharer
 * bits.
 *
 * <h2>Modes</h2>
 * The directory is built in one {@link DirectoryMode}, its thread contract:
 * <ul>
 * <li>{@link DirectoryMode#CONCURRENT}: any number of CPU threads change words at once, each
 *     transition a CAS as above (parallel mode with two or more CPU threads).</li>
 * <li>{@link DirectoryMode#SINGLE_WRITER}: one host thread at a time changes words (the seeded
 *     stepper, a parallel run of one CPU, a benchmark loop), with a happens-before edge at each
 *     hand-over. A transition is then an opaque store of the word computed from the word just
 *     read: no other thread can have changed it in between, so the CAS would always succeed
 *     and the store has the same result without the host's locked instruction (the largest
 *     single share of an L2 miss's host time). {@code Machine} refuses to start more than one
 *     CPU thread on a layer in this mode.</li>
 * </ul>
 * Readers on other threads ({@code ...Acquire}) are the same in both modes.
 *
 * <p><b>Thread contract.</b> In {@link DirectoryMode#CONCURRENT} mode thread-safe; in
 * {@link DirectoryMode#SINGLE_WRITER} mode state words are changed by one host thread at a time
 * (chunk creation stays a CAS in both). Methods ending {@code Acquire} read with acquire
 * semantics; {@link #transition} has volatile semantics in {@code CONCURRENT} mode and opaque
 * in {@code SINGLE_WRITER} mode. The encoding helpers are pure functions.
 */
public final class ConcurrentMesiDirectory {

    /** Most CPUs the encoding can name (bits 0..63 of a shared word, bits 0..5 of an owner). */
    public static final int MAX_CPUS = 64;

    static final long EXCLUSIVE_BIT = 1L << 63;
    static final long DIRTY_BIT = 1L << 62;
    static final long OWNER_MASK = 0x3FL;
    /** Bits 6..61: the marker field of an exclusive word. */
    static final long MARKER_FIELD = (DIRTY_BIT - 1) & ~OWNER_MASK;
    /** The marker of exclusive words (a constant pseudo-random pattern of bits 6..61). */
    public static final long MARKER = 0x9E37_79B9_7F4A_7C15L & MARKER_FIELD;
    /** The bits that tell an exclusive word, and their value in one. */
    static final long KIND_MASK = EXCLUSIVE_BIT | MARKER_FIELD;
    static final long KIND_EXCLUSIVE = EXCLUSIVE_BIT | MARKER;
    /** The CPU a colliding sharer set drops first (the lowest of MARKER's CPUs). */
    private static final int FIRST_MARKER_CPU = Long.numberOfTrailingZeros(MARKER);
    private static final int SECOND_MARKER_CPU = Long.numberOfTrailingZeros(MARKER & (MARKER - 1));
    static final long INVALID = 0L;

    static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(long[][].class);

    /** Words per line in a chunk: the state word, then the write stamp. */
    static final int SLOTS_PER_LINE = 2;
    /** Offset of a line's write stamp from its state word. */
    static final int STAMP = 1;

    /**
     * Per frame, per line: the state word at slot 2i and, at 2i + 1, the simulated cycle at which
     * the line's last write completed (0 = never written): a CPU that takes a modified line from
     * another CPU cannot have its data before then (the causality of lax synchronisation, for
     * memory).
     */
    private final long[][] chunks;
    private final int linesPerChunkShift;
    private final int linesPerChunkMask;
    private final int lineShift;
    private final DirectoryMode mode;
    /** {@code mode == SINGLE_WRITER}, tested once per transition. */
    private final boolean singleWriter;

    /**
     * A directory of {@link DirectoryMode#CONCURRENT} mode.
     *
     * @param frames    physical frames (4 KB) of the machine
     * @param lineBytes the line size (power of two, at most 4096)
     */
    public ConcurrentMesiDirectory(int frames, int lineBytes) {
        this(frames, lineBytes, DirectoryMode.CONCURRENT);
    }

    /**
     * @param frames    physical frames (4 KB) of the machine
     * @param lineBytes the line size (power of two, at most 4096)
     * @param mode      which host threads may change words (see "Modes")
     */
    public ConcurrentMesiDirectory(int frames, int lineBytes, DirectoryMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("no directory mode");
        }
        this.mode = mode;
        this.singleWriter = mode == DirectoryMode.SINGLE_WRITER;
        if (frames <= 0 || lineBytes <= 0 || Integer.bitCount(lineBytes) != 1 || lineBytes > 4096) {
            throw new IllegalArgumentException("bad directory geometry: " + frames + " frames, " + lineBytes + " B lines");
        }
        this.chunks = new long[frames][];
        this.lineShift = Integer.numberOfTrailingZeros(lineBytes);
        this.linesPerChunkShift = 12 - lineShift;
        this.linesPerChunkMask = (1 << linesPerChunkShift) - 1;
    }

    /** log2 of the line size. */
    public int lineShift() { return lineShift; }

    /** Which host threads may change words (see "Modes"). */
    public DirectoryMode mode() { return mode; }

    // ------------------------------------------------------------------ encoding (pure)

    /** The exclusive word for {@code cpu}: M if {@code dirty}, else E. */
    static long exclusive(int cpu, boolean dirty) {
        return KIND_EXCLUSIVE | (dirty ? DIRTY_BIT : 0L) | cpu;
    }

    static boolean isExclusive(long word) { return (word & KIND_MASK) == KIND_EXCLUSIVE; }

    /** Whether an exclusive word is dirty; meaningless for a shared word (bit 62 is CPU 62). */
    static boolean isDirty(long word) { return (word & DIRTY_BIT) != 0; }

    /** Whether the word is M (exclusive and dirty); safe on any word. */
    static boolean isModified(long word) {
        return (word & (KIND_MASK | DIRTY_BIT)) == (KIND_EXCLUSIVE | DIRTY_BIT);
    }

    static int owner(long word) { return (int) (word & OWNER_MASK); }

    /** Whether {@code cpu} holds a valid copy (S, E or M) in this word. */
    static boolean holds(long word, int cpu) {
        return isExclusive(word) ? (int) (word & OWNER_MASK) == cpu : ((word >>> cpu) & 1L) != 0;
    }

    /**
     * The shared word of the sharer set {@code sharers} (non-empty): the set itself, or, for the
     * sets that would read as exclusive (64 CPUs only, see above), the set without one of
     * MARKER's CPUs other than {@code keep} (the requester).
     */
    static long shared(long sharers, int keep) {
        if ((sharers & KIND_MASK) != KIND_EXCLUSIVE) {
            return sharers;
        }
        return sharedSlowPath(sharers, keep);
    }

    private static long sharedSlowPath(long sharers, int keep) {
        return sharers & ~(1L << (keep == FIRST_MARKER_CPU ? SECOND_MARKER_CPU : FIRST_MARKER_CPU));
    }

    /** The state of {@code cpu} in this word. */
    static LineState stateIn(long word, int cpu) {
        if (isExclusive(word)) {
            if ((int) (word & OWNER_MASK) != cpu) {
                return LineState.INVALID;
            }
            return (word & DIRTY_BIT) != 0 ? LineState.MODIFIED : LineState.EXCLUSIVE;
        }
        return ((word >>> cpu) & 1L) != 0 ? LineState.SHARED : LineState.INVALID;
    }

    /** Human-readable word, for reports. */
    public static String describe(long word) {
        if (word == 0) {
            return "I";
        }
        if (isExclusive(word)) {
            return ((word & DIRTY_BIT) != 0 ? "M" : "E") + "(cpu " + (word & OWNER_MASK) + ")";
        }
        return "S(mask 0x" + Long.toHexString(word) + ")";
    }

    // ------------------------------------------------------------------ storage

    /** The chunk of {@code line}, created on the first touch of its frame (or by {@link #createChunks}). */
    long[] chunkFor(long line) {
        int index = (int) (line >>> linesPerChunkShift);
        // Acquire: pairs with the CAS (release) that published the zeroed chunk.
        long[] chunk = (long[]) CHUNKS.getAcquire(chunks, index);
        if (chunk != null) {
            return chunk;
        }
        long[] fresh = new long[SLOTS_PER_LINE << linesPerChunkShift];
        // CAS publishes the chunk (volatile: release); the loser adopts the winner's.
        long[] witness = (long[]) CHUNKS.compareAndExchange(chunks, index, (long[]) null, fresh);
        return witness == null ? fresh : witness;
    }

    /**
     * Creates the chunks of the frames of lines {@code firstLine} to {@code lastLine} (inclusive)
     * that do not exist yet: setup of memory whose first touch should not allocate (the kernel's
     * objects, {@link KernelRegion}). Any thread; a chunk's words stay zero (INVALID, never
     * written) until a CPU touches its lines, so every figure is as if the first touch created it.
     */
    void createChunks(long firstLine, long lastLine) {
        for (long frame = firstLine >>> linesPerChunkShift; frame <= lastLine >>> linesPerChunkShift; frame++) {
            chunkFor(frame << linesPerChunkShift);
        }
    }

    /** The chunk of {@code line}, or null if its frame was never touched. */
    long[] chunkOrNullAcquire(long line) {
        // Acquire: pairs with the CAS that published the chunk.
        return (long[]) CHUNKS.getAcquire(chunks, (int) (line >>> linesPerChunkShift));
    }

    /** The slot of {@code line}'s state word in its chunk (its write stamp is at the next slot). */
    int indexInChunk(long line) {
        return (int) (line & linesPerChunkMask) * SLOTS_PER_LINE;
    }

    /** The state word of {@code line}, read with acquire semantics. */
    public long stateAcquire(long line) {
        long[] chunk = chunkOrNullAcquire(line);
        // Acquire: a CPU that sees a transition also sees what its CPU did before the CAS.
        return chunk == null ? INVALID : (long) WORDS.getAcquire(chunk, indexInChunk(line));
    }

    /** {@code cpu}'s state of {@code line}. */
    public LineState stateAcquire(long line, int cpu) {
        return stateIn(stateAcquire(line), cpu);
    }

    /**
     * Changes the word at {@code index} of {@code chunk} from {@code expect} (the word its CPU
     * just read) to {@code update}: compare-and-set (volatile) in {@link DirectoryMode#CONCURRENT}
     * mode, false when another CPU's transition came first; an opaque store in
     * {@link DirectoryMode#SINGLE_WRITER} mode, always true (the caller's thread is the only
     * writer). Only the accounting layer's paths change words (in SINGLE_WRITER mode each such
     * path moves the layer's state epoch on: MemorySystem's "Memoised hit runs").
     */
    static boolean transition(boolean singleWriter, long[] chunk, int index, long expect, long update) {
        if (singleWriter) {
            // Opaque store by the one writer thread: readers elsewhere get an untorn recent word;
            // the next writer thread sees it through the hand-over's happens-before edge.
            WORDS.setOpaque(chunk, index, update);
            return true;
        }
        // CAS (volatile): this transition is the line's next one in the global order, and
        // publishes this CPU's earlier stores to whoever next reads the word with acquire.
        return WORDS.compareAndSet(chunk, index, expect, update);
    }

    /** Number of chunk slots (one per physical frame). */
    int chunkCount() { return chunks.length; }

    /** Lines per chunk. */
    int linesPerChunk() { return 1 << linesPerChunkShift; }

    /** The chunk at a chunk index, or null; acquire. */
    long[] chunkAtAcquire(int chunkIndex) {
        return (long[]) CHUNKS.getAcquire(chunks, chunkIndex);
    }

    /** The line number of the state word at slot {@code indexInChunk} of a chunk. */
    long lineOf(int chunkIndex, int indexInChunk) {
        return ((long) chunkIndex << linesPerChunkShift) | (indexInChunk / SLOTS_PER_LINE);
    }

    /** The write stamp of {@code line}: the cycle its last timed write completed, 0 if none; acquire. */
    long stampAcquire(long line) {
        long[] chunk = chunkOrNullAcquire(line);
        // Acquire: pairs with the writer's release of the stamp.
        return chunk == null ? 0L : (long) WORDS.getAcquire(chunk, indexInChunk(line) + STAMP);
    }
}
