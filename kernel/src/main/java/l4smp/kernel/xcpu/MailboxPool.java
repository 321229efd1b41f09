package l4smp.kernel.xcpu;

/**
 * Claiming and freeing mailboxes (thesis 8.3.4: "find free mailbox, lock mailbox, set up
 * mailbox, unlock mailbox, set activate mailbox flag"). A mailbox is claimed by setting its
 * {@code busy} word under its lock; it stays claimed while the request and its reply are in
 * flight, and the source frees it when it has consumed the reply (8.4.1: "free and release all
 * mailboxes in the sender's mailbox list"). So two requests never share a mailbox.
 */
public final class MailboxPool {

    private MailboxPool() {
    }

    /**
     * Tries to claim the mailbox at {@code mailbox}: test {@code busy} (find free), lock, test
     * again under the lock, set {@code busy}. On success the lock is <em>held</em>: the caller
     * fills the mailbox and calls {@link #unlock}. Returns false (lock not held) if it was busy.
     */
    public static boolean tryClaim(XcpuMemory mem, long mailbox) {
        if (mem.loadAcquire(mailbox + Mailbox.BUSY) != 0) {
            return false;
        }
        SpinLock.lock(mem, mailbox + Mailbox.LOCK);
        if (mem.loadAcquire(mailbox + Mailbox.BUSY) != 0) {
            SpinLock.unlock(mem, mailbox + Mailbox.LOCK);
            return false;
        }
        mem.storeRelease(mailbox + Mailbox.BUSY, 1);
        return true;
    }

    /** Unlocks a claimed mailbox after it was filled. */
    public static void unlock(XcpuMemory mem, long mailbox) {
        SpinLock.unlock(mem, mailbox + Mailbox.LOCK);
    }

    /** Frees a mailbox whose reply was consumed. */
    public static void free(XcpuMemory mem, long mailbox) {
        mem.storeRelease(mailbox + Mailbox.BUSY, 0);
    }
}
