package l4smp.kernel.xcpu;

/**
 * The few memory operations the XCPU mechanisms (mailboxes, flag lines, TCB locks) need, on
 * 32-bit words at simulated physical addresses. The kernel uses {@link CpuXcpuMemory} (each
 * operation is charged through the accounting layer and is an interleaving point); the jcstress
 * tests use {@link HostXcpuMemory} (the same words in {@link l4smp.emulator.memory.PhysicalMemory},
 * no simulated CPU), so the mechanisms are tested as standalone objects with the very code the
 * kernel runs.
 *
 * <p>Orderings (named as in the code base's scheme): {@link #loadAcquire}, {@link #storeRelease},
 * {@link #xchgVolatile}, {@link #casVolatile}, {@link #fetchAddVolatile}.
 */
public interface XcpuMemory {

    /** Load-acquire of the word at {@code pa}. */
    int loadAcquire(long pa);

    /** Store-release of the word at {@code pa}. */
    void storeRelease(long pa, int value);

    /** Locked exchange ({@code xchg}), sequentially consistent. */
    int xchgVolatile(long pa, int value);

    /** Locked compare-and-swap ({@code lock cmpxchg}), sequentially consistent. */
    boolean casVolatile(long pa, int expect, int update);

    /**
     * Locked fetch-and-add ({@code lock xadd}), sequentially consistent: returns the old value.
     * The default is a CAS loop; the kernel's implementation charges one locked access.
     */
    default int fetchAddVolatile(long pa, int delta) {
        while (true) {
            int old = loadAcquire(pa);
            if (casVolatile(pa, old, old + delta)) {
                return old;
            }
        }
    }

    /**
     * Spins (without blocking the host thread for long) until the word at {@code pa} reads
     * {@code value}: the "test" loop of a test-and-test-and-set lock. Interrupts stay disabled.
     */
    void spinUntilEquals(long pa, int value, String reason);
}
