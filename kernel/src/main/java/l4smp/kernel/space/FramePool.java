package l4smp.kernel.space;

import l4smp.emulator.memory.PhysicalMemory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Kernel frames for page directories and page tables: a lock-free bump allocator over a range
 * of physical frames reserved at boot (below the kernel region). Frames are zeroed when handed
 * out. Page tables are never freed (spaces are not deleted by this kernel yet). Thread-safe.
 */
public final class FramePool {

    private final PhysicalMemory memory;
    private final int first;
    private final int end;
    private final AtomicInteger next;

    /** Frames {@code [first, end)}. */
    public FramePool(PhysicalMemory memory, int first, int end) {
        if (first < 0 || end <= first || end > memory.frameCount()) {
            throw new IllegalArgumentException("bad frame pool " + first + ".." + end);
        }
        this.memory = memory;
        this.first = first;
        this.end = end;
        this.next = new AtomicInteger(first);
    }

    /** A zeroed frame number; throws {@link IllegalStateException} when the pool is empty. */
    public int allocate() {
        int f = next.getAndIncrement();
        if (f >= end) {
            next.getAndDecrement();
            throw new IllegalStateException("page-table frame pool exhausted (" + (end - first) + " frames)");
        }
        memory.zeroFramePlain(f);
        return f;
    }

    /** Frames left. */
    public int freeVolatile() {
        return Math.max(0, end - next.get());
    }

    public int firstFrame() {
        return first;
    }

    public int endFrame() {
        return end;
    }
}
