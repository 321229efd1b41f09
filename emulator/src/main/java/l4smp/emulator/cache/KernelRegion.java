package l4smp.emulator.cache;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A bump allocator of line-aligned simulated physical addresses in the kernel's area, each
 * allocation registered with an attribution tag, so that the kernel can place TCB lines,
 * ready-list heads, mailbox flag words and spinlocks at simulated addresses and touch them
 * through the {@link MemorySystem}.
 *
 * <p>Allocations never share a line with each other (they are rounded up to whole lines),
 * so two owners never falsely share unless the kernel asks for it by allocating one block.
 *
 * <p><b>Thread contract.</b> Thread-safe (a CAS on the bump pointer, then a registration in
 * the thread-safe registry, then the directory's chunk creation, a CAS per chunk); meant for
 * setup time, not for hot paths (it allocates).
 */
public final class KernelRegion {

    private final ConcurrentAttributionRegistry registry;
    private final long base;
    private final long limit;
    private final int lineBytes;
    private final AtomicLong next;
    /** The directory whose chunks each allocation creates, or null (a region without a layer). */
    private final ConcurrentMesiDirectory directory;

    /**
     * @param registry  where allocations are registered
     * @param base      first address of the area (line-aligned)
     * @param sizeBytes size of the area
     * @param lineBytes the cost model's line size
     */
    public KernelRegion(ConcurrentAttributionRegistry registry, long base, long sizeBytes, int lineBytes) {
        this(registry, base, sizeBytes, lineBytes, null);
    }

    private KernelRegion(ConcurrentAttributionRegistry registry, long base, long sizeBytes, int lineBytes,
                         ConcurrentMesiDirectory directory) {
        if (lineBytes <= 0 || Integer.bitCount(lineBytes) != 1 || (base & (lineBytes - 1)) != 0
                || base < 0 || sizeBytes <= 0) {
            throw new IllegalArgumentException("bad kernel region 0x" + Long.toHexString(base) + "+" + sizeBytes
                    + " with " + lineBytes + " B lines");
        }
        this.registry = registry;
        this.base = base;
        this.limit = base + sizeBytes;
        this.lineBytes = lineBytes;
        this.next = new AtomicLong(base);
        this.directory = directory;
    }

    /**
     * A region over {@code [base, base + sizeBytes)} of a memory system's registry and line size;
     * each allocation also creates the directory chunks of the frames it covers (see
     * {@link #allocateBytes}).
     */
    public static KernelRegion of(MemorySystem memory, long base, long sizeBytes) {
        return new KernelRegion(memory.attribution(), base, sizeBytes, memory.lineBytes(), memory.directory());
    }

    /** {@code lines} whole lines, line-aligned, owned by {@code tag}; returns the first address. */
    public long allocateLines(int lines, String tag) {
        if (lines <= 0) {
            throw new IllegalArgumentException("lines must be positive: " + lines);
        }
        return allocate((long) lines * lineBytes, tag);
    }

    /**
     * At least {@code bytes} bytes, rounded up to whole lines, line-aligned, owned by {@code tag}.
     * In a region of a memory system ({@link #of}) the directory chunks of the frames the block
     * covers exist when this returns, so that the kernel's first touch of its objects (a TCB, a
     * UTCB) allocates nothing on the CPU's path.
     */
    public long allocateBytes(long bytes, String tag) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes must be positive: " + bytes);
        }
        long rounded = (bytes + lineBytes - 1) & -(long) lineBytes;
        return allocate(rounded, tag);
    }

    private long allocate(long bytes, String tag) {
        long start;
        do {
            start = next.get();
            if (start + bytes > limit) {
                throw new IllegalStateException("kernel region full: " + bytes + " more bytes for '" + tag
                        + "' (" + (limit - start) + " left)");
            }
        } while (!next.compareAndSet(start, start + bytes));
        registry.register(start, bytes, tag);
        if (directory != null) {
            directory.createChunks(start >>> directory.lineShift(), (start + bytes - 1) >>> directory.lineShift());
        }
        return start;
    }

    public long base() { return base; }

    public long limit() { return limit; }

    public int lineBytes() { return lineBytes; }

    /** Bytes handed out so far. */
    public long usedBytesVolatile() { return next.get() - base; }
}
