package l4smp.kernel.xcpu;

/**
 * The test-and-test-and-set spinlock of thesis appendix A on a 32-bit word (0 free, 1 held): an
 * {@code xchg} to take it, a plain "test" loop while it is held (the line stays shared in the
 * spinners' caches, no bus lock per iteration), a store-release to give it back.
 *
 * <p>Used for the XCPU mailboxes (8.3.4: "the mailbox is locked in advance of the modification
 * with a spinlock") and for the TCB lock (8.3.3). Holders never wait for anything while holding
 * a lock (no IPI send, no other spin): so a CPU that spins with interrupts disabled always gets
 * the lock, and a full LINT slot never joins a lock into a deadlock (8.3.3, D8).
 *
 * <p>The kernel's locks and how each keeps a LINT slot or a shootdown acknowledgement out of a
 * deadlock: these spinlocks and the mapping-database lock are taken with interrupts disabled, so
 * their holders never send an IPI or wait: XCPU IPIs go out once the path released its locks
 * (XpIpc.flushIpis), and so does the TLB shootdown of a map or unmap -- after the
 * mapping-database lock (SpaceMappings, "No lock across a shootdown"), and after the last TCB
 * lock of a receive path whose proxies installed map items under it (TlbShootdown.hold /
 * release), whose replies to their senders wait for that shootdown too; the migration locks and
 * barriers (Migration) are waited for with interrupts enabled, so their holders may send IPIs;
 * the wait for a free LINT slot itself takes interrupts.
 */
public final class SpinLock {

    /** What a CPU spinning on a held lock waits for (the memory adds the lock's address). */
    public static final String SPIN_REASON = "a spinlock";

    private SpinLock() {
    }

    /** Takes the lock at {@code pa}. */
    public static void lock(XcpuMemory mem, long pa) {
        while (mem.xchgVolatile(pa, 1) != 0) {
            mem.spinUntilEquals(pa, 0, SPIN_REASON);
        }
    }

    /** One attempt: true if the lock was taken. */
    public static boolean tryLock(XcpuMemory mem, long pa) {
        return mem.loadAcquire(pa) == 0 && mem.xchgVolatile(pa, 1) == 0;
    }

    /** Gives the lock at {@code pa} back (the holder only). */
    public static void unlock(XcpuMemory mem, long pa) {
        mem.storeRelease(pa, 0);
    }
}
