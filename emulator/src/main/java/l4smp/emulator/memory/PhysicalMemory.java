package l4smp.emulator.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The simulated machine's physical memory: 4 KB frames that hold real data, little-endian like
 * the x86.
 *
 * <p><b>Lazy frames.</b> Only a table of frame references is allocated up front (8 bytes per
 * 4 KB frame, 2 MB for 1 GiB); a frame's 4 KB are allocated on its first write. Reading a frame
 * that was never written returns zeros and allocates nothing.
 *
 * <p><b>Thread contract.</b> Thread-safe: every simulated CPU thread may call every method.
 * The ordering of a data access is named in the method (Agrona style): {@code intPlain},
 * {@code intOpaque}, {@code intAcquire}, {@code setIntRelease}, {@code intVolatile},
 * {@code casInt} and the {@code getAnd...} read-modify-writes (volatile semantics). A frame is
 * published with a CAS (release) and read with an acquire load, so a plain access never sees
 * a half-built frame; plain accesses to the same location from different threads without
 * other synchronisation are data races in the Java memory model, as they would be on the
 * real machine without a lock or a fence.
 *
 * <p>A frame is an {@code int[1024]} (the Pentium is a 32-bit machine: the dword is the unit of
 * atomicity), so int accessors need 4-byte aligned addresses; a byte store is a CAS on its
 * dword (so concurrent stores to neighbouring bytes never lose each other). Longs are two
 * dwords, low first, and are <em>not</em> atomic (as on a Pentium without {@code cmpxchg8b}). Addresses outside {@code [0, sizeBytes)} throw {@link IndexOutOfBoundsException}
 * (a caller bug, not a simulated event: the MMU never produces such an address for a valid
 * page table).
 */
public final class PhysicalMemory {

    /** Bytes per frame (the Pentium's 4 KB page). */
    public static final int FRAME_BYTES = 4096;
    /** log2 of {@link #FRAME_BYTES}. */
    public static final int FRAME_SHIFT = 12;
    private static final int FRAME_MASK = FRAME_BYTES - 1;
    private static final int FRAME_INTS = FRAME_BYTES / 4;

    private static final VarHandle FRAMES = MethodHandles.arrayElementVarHandle(int[][].class);
    private static final VarHandle INTS = MethodHandles.arrayElementVarHandle(int[].class);
    private static final int[] ZERO_FRAME = new int[FRAME_INTS];

    private final long sizeBytes;
    private final int[][] frames;

    /**
     * @param sizeBytes a positive multiple of 4 KB, at most 2^31 frames (8 TiB)
     */
    public PhysicalMemory(long sizeBytes) {
        if (sizeBytes <= 0 || (sizeBytes & FRAME_MASK) != 0 || (sizeBytes >>> FRAME_SHIFT) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("size must be a positive multiple of 4 KB: " + sizeBytes);
        }
        this.sizeBytes = sizeBytes;
        this.frames = new int[(int) (sizeBytes >>> FRAME_SHIFT)][];
    }

    public long sizeBytes() { return sizeBytes; }

    public int frameCount() { return frames.length; }

    /** Whether the frame has backing storage (was written at least once). */
    public boolean isFrameAllocatedAcquire(int frame) {
        // Acquire: pairs with the CAS that published the frame.
        return FRAMES.getAcquire(frames, frame) != null;
    }

    /** Number of frames with backing storage; a racy snapshot while CPUs run. */
    public int allocatedFramesAcquire() {
        int n = 0;
        for (int i = 0; i < frames.length; i++) {
            // Acquire: pairs with the CAS that published the frame.
            if (FRAMES.getAcquire(frames, i) != null) {
                n++;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- frames

    /** The frame for reading: the shared zero frame when it was never written. */
    private int[] frameForRead(long pa) {
        checkAddress(pa);
        // Acquire: pairs with the release of the CAS that published the frame.
        int[] f = (int[]) FRAMES.getAcquire(frames, (int) (pa >>> FRAME_SHIFT));
        return f != null ? f : ZERO_FRAME;
    }

    /** The frame for writing, allocated (once, by CAS) on first use. */
    private int[] frameForWrite(long pa) {
        checkAddress(pa);
        int index = (int) (pa >>> FRAME_SHIFT);
        // Acquire: pairs with the release of the CAS that published the frame.
        int[] f = (int[]) FRAMES.getAcquire(frames, index);
        if (f != null) {
            return f;
        }
        int[] fresh = new int[FRAME_INTS];
        // CAS (volatile, so release): publishes the zeroed frame; the loser uses the winner's.
        int[] witness = (int[]) FRAMES.compareAndExchange(frames, index, (int[]) null, fresh);
        return witness == null ? fresh : witness;
    }

    private void checkAddress(long pa) {
        if (pa < 0 || pa >= sizeBytes) {
            throw new IndexOutOfBoundsException("physical address 0x" + Long.toHexString(pa)
                    + " outside memory of " + sizeBytes + " bytes");
        }
    }

    /** Index of the dword of an aligned address within its frame. */
    private static int word(long pa) {
        if ((pa & 3) != 0) {
            throw new IllegalArgumentException("unaligned dword access at 0x" + Long.toHexString(pa));
        }
        return (int) (pa & FRAME_MASK) >>> 2;
    }

    // ---------------------------------------------------------------- bytes

    public byte bytePlain(long pa) {
        int v = frameForRead(pa)[(int) (pa & FRAME_MASK) >>> 2];
        return (byte) (v >>> (8 * (int) (pa & 3)));
    }

    /** Stores one byte (a CAS on its dword, so neighbouring bytes stored concurrently survive). */
    public void setBytePlain(long pa, byte value) {
        int[] f = frameForWrite(pa);
        int i = (int) (pa & FRAME_MASK) >>> 2;
        int shift = 8 * (int) (pa & 3);
        int mask = 0xFF << shift;
        int bits = (value & 0xFF) << shift;
        while (true) {
            int old = (int) INTS.getOpaque(f, i);
            // CAS (volatile): merges the byte into its dword without losing a neighbour's store.
            if (INTS.compareAndSet(f, i, old, (old & ~mask) | bits)) {
                return;
            }
        }
    }

    /** Copies {@code length} bytes starting at {@code pa} (may cross frames) into {@code dst}. */
    public void readBytesPlain(long pa, byte[] dst, int dstOffset, int length) {
        for (int k = 0; k < length; ) {
            long a = pa + k;
            if ((a & 3) == 0 && length - k >= 4) {
                int v = frameForRead(a)[(int) (a & FRAME_MASK) >>> 2];
                dst[dstOffset + k] = (byte) v;
                dst[dstOffset + k + 1] = (byte) (v >>> 8);
                dst[dstOffset + k + 2] = (byte) (v >>> 16);
                dst[dstOffset + k + 3] = (byte) (v >>> 24);
                k += 4;
            } else {
                dst[dstOffset + k] = bytePlain(a);
                k++;
            }
        }
    }

    /** Copies {@code length} bytes of {@code src} to {@code pa} (may cross frames). */
    public void writeBytesPlain(long pa, byte[] src, int srcOffset, int length) {
        for (int k = 0; k < length; ) {
            long a = pa + k;
            if ((a & 3) == 0 && length - k >= 4) {
                int v = (src[srcOffset + k] & 0xFF) | (src[srcOffset + k + 1] & 0xFF) << 8
                        | (src[srcOffset + k + 2] & 0xFF) << 16 | (src[srcOffset + k + 3] & 0xFF) << 24;
                frameForWrite(a)[(int) (a & FRAME_MASK) >>> 2] = v;
                k += 4;
            } else {
                setBytePlain(a, src[srcOffset + k]);
                k++;
            }
        }
    }

    /** Zeroes one frame (a page allocator's clear); allocates nothing if it was never written. */
    public void zeroFramePlain(int frame) {
        checkAddress((long) frame << FRAME_SHIFT);
        // Acquire: pairs with the CAS that published the frame.
        int[] f = (int[]) FRAMES.getAcquire(frames, frame);
        if (f != null) {
            Arrays.fill(f, 0);
        }
    }

    // ---------------------------------------------------------------- dwords

    public int intPlain(long pa) {
        return frameForRead(pa)[word(pa)];
    }

    public void setIntPlain(long pa, int value) {
        frameForWrite(pa)[word(pa)] = value;
    }

    public int intOpaque(long pa) {
        return (int) INTS.getOpaque(frameForRead(pa), word(pa));
    }

    public void setIntOpaque(long pa, int value) {
        INTS.setOpaque(frameForWrite(pa), word(pa), value);
    }

    public int intAcquire(long pa) {
        return (int) INTS.getAcquire(frameForRead(pa), word(pa));
    }

    public void setIntRelease(long pa, int value) {
        INTS.setRelease(frameForWrite(pa), word(pa), value);
    }

    public int intVolatile(long pa) {
        return (int) INTS.getVolatile(frameForRead(pa), word(pa));
    }

    public void setIntVolatile(long pa, int value) {
        INTS.setVolatile(frameForWrite(pa), word(pa), value);
    }

    /** {@code lock cmpxchg}: volatile compare-and-set. */
    public boolean casInt(long pa, int expect, int update) {
        return INTS.compareAndSet(frameForWrite(pa), word(pa), expect, update);
    }

    /** {@code xchg}: volatile get-and-set. */
    public int getAndSetInt(long pa, int value) {
        return (int) INTS.getAndSet(frameForWrite(pa), word(pa), value);
    }

    /** {@code lock xadd}: volatile get-and-add. */
    public int getAndAddInt(long pa, int delta) {
        return (int) INTS.getAndAdd(frameForWrite(pa), word(pa), delta);
    }

    /** {@code lock or}: volatile get-and-bitwise-or. */
    public int getAndBitwiseOrInt(long pa, int bits) {
        return (int) INTS.getAndBitwiseOr(frameForWrite(pa), word(pa), bits);
    }

    // ---------------------------------------------------------------- qwords (two dwords)

    /** Two plain dword reads, low dword first; not atomic. {@code pa} 4-byte aligned. */
    public long longPlain(long pa) {
        return Integer.toUnsignedLong(intPlain(pa)) | ((long) intPlain(pa + 4) << 32);
    }

    /** Two plain dword writes, low dword first; not atomic. {@code pa} 4-byte aligned. */
    public void setLongPlain(long pa, long value) {
        setIntPlain(pa, (int) value);
        setIntPlain(pa + 4, (int) (value >>> 32));
    }
}
