package l4smp.kernel.xcpu;

import l4smp.kernel.thread.Tcb;

/**
 * The cross-processor handshakes of the XP send (thesis 8.3.3, 8.3.4, 8.3.5), of the receive
 * path that meets it, and of a migration that moves its receiver (8.5, race 2), as steps over
 * {@link XcpuMemory}: the kernel's paths ({@code XpSendPath}, {@code XpIpc.trigger},
 * {@code XpMailboxCheck}, {@code MigrationMailboxes}) call them on simulated
 * memory, the jcstress tests on host memory, so both run the one protocol.
 *
 * <pre>
 *   sender (a):  b = B.cpu; lock(B); B.cpu != b ? unlock, run again     {@link #lockOnCpu}
 *                w = B.WAIT_FOR                                          {@link #readWaitFor}
 *                set the request flag in b's line; unlock(B)            {@link #flagAndUnlock}
 *                IPI to b only if urgent, b checks later than the latency bound, and no XCPU
 *                IPI to b is still unacknowledged                        {@link #ipiNeeded}
 *   migration (B's source CPU, part B):  lock(B); B.cpu = c; unlock(B)    {@link #moveUnderLock}
 *   receiver (b): lock(B); check_n_ack                                   {@link #lockForReceive}
 *                 (no request found) B.WAIT_FOR = w; unlock(B)            {@link #publishWaitFor}, {@link #unlock}
 *   redirection (B's CPU, B keeps waiting): lock(B); B.WAIT_FOR = w'; unlock(B)  {@link #republishWaitFor}
 * </pre>
 * Whichever of sender and receiver (or sender and migration) takes the lock second sees what
 * the first did: no request is flagged at a CPU its receiver has left, and no sender decides on
 * "no IPI" against a receiver that is about to idle (8.3.3's lost wake-up).
 *
 * <p>Stateless; every step runs on the calling CPU. {@code locking} false is the negative
 * control of the TCB lock (tests only).
 */
public final class XpSendHandshake {

    private XpSendHandshake() {
    }

    /**
     * Locks {@code receiver}'s TCB (its lock word {@code lockWord}) and re-reads its CPU: true,
     * lock held, when it is still {@code expectedCpu}; false, lock released, when it has moved
     * (the sender runs its IPC again, to the new CPU).
     */
    public static boolean lockOnCpu(XcpuMemory mem, long lockWord, boolean locking, Tcb receiver, int expectedCpu) {
        if (locking) {
            SpinLock.lock(mem, lockWord);
        }
        if (receiver.cpuAcquire() != expectedCpu) {
            unlock(mem, lockWord, locking);
            return false;
        }
        return true;
    }

    /** The receiver's published WAIT_FOR word (0: not receiving, -1: any, else a raw id), under its lock. */
    public static int readWaitFor(XcpuMemory mem, long waitWord) {
        return mem.loadAcquire(waitWord);
    }

    /** Sets the request flag {@code bit} in the destination's flag line, then unlocks the receiver's TCB. */
    public static void flagAndUnlock(XcpuMemory mem, long flagLine, int bit, long lockWord, boolean locking) {
        FlagLine.set(mem, flagLine, bit);
        unlock(mem, lockWord, locking);
    }

    /**
     * The receive path's side (8.3.3): takes the receiver's own TCB lock; its check_n_ack
     * ({@link FlagLine#checkAndAck}) follows under the lock, then {@link #publishWaitFor} if it
     * waits, then {@link #unlock}.
     */
    public static void lockForReceive(XcpuMemory mem, long lockWord, boolean locking) {
        if (locking) {
            SpinLock.lock(mem, lockWord);
        }
    }

    /**
     * The receive path's side: publishes the receiver's WAIT_FOR word ({@code waitFor}: -1 any,
     * else a raw id) under its TCB lock, after a check_n_ack that found no request for it.
     */
    public static void publishWaitFor(XcpuMemory mem, long waitWord, int waitFor) {
        mem.storeRelease(waitWord, waitFor);
    }

    /** Unlocks the receiver's TCB. */
    public static void unlock(XcpuMemory mem, long lockWord, boolean locking) {
        if (locking) {
            SpinLock.unlock(mem, lockWord);
        }
    }

    /**
     * The trigger's IPI decision for a flag just set at CPU {@code dest} (8.3.4): an IPI only
     * when {@code urgent}, when {@code dest}'s next check {@code next} (as the caller read it
     * from {@link XcpuFabric#nextCheckVolatile}) lies further from {@code now} than
     * {@code maxLatency} (or it idles), and when no XCPU IPI to {@code dest} is unacknowledged
     * (the pending word claimed here by a CAS). False: the IPI is saved, the flag is found by a
     * check that comes anyway.
     */
    public static boolean ipiNeeded(XcpuMemory mem, XcpuFabric fabric, int dest, long next, long now, long maxLatency,
                                    boolean urgent) {
        if (!urgent) {
            return false;
        }
        if (next != XcpuFabric.IDLE && next - now <= maxLatency) {
            return false;
        }
        return mem.casVolatile(fabric.ipiPendingWord(dest), 0, 1);
    }

    /**
     * A thread that keeps waiting changes whom it waits for (X.2 propagation redirects a virtual
     * sender's closed receive to the propagated message's receiver): its owner CPU rewrites the
     * published WAIT_FOR word under the thread's TCB lock, as the receive path publishes it, so a
     * sender of another CPU reads under the lock either the old or the new specifier, never a
     * thread that has stopped waiting.
     */
    public static void republishWaitFor(XcpuMemory mem, long lockWord, long waitWord, int waitFor, boolean locking) {
        lockForReceive(mem, lockWord, locking);
        publishWaitFor(mem, waitWord, waitFor);
        unlock(mem, lockWord, locking);
    }

    /**
     * A thread stops waiting (its receive completed, failed, timed out or was canceled): its
     * owner CPU withdraws its published receive specifier. No lock: a redirection of another CPU
     * changes the word only by a compare-and-set from the specifier it expects
     * ({@link #redirectWaitFor}), so it either comes first and is overwritten here, or finds 0
     * and changes nothing.
     */
    public static void withdrawWaitFor(XcpuMemory mem, long waitWord) {
        mem.storeRelease(waitWord, 0);
    }

    /**
     * X.2 propagation from a CPU that is not the waiting thread's: thread {@code t}, waiting in a
     * closed receive from {@code expect} (a raw id), now waits for {@code update}. Under
     * {@code t}'s TCB lock (as every change of a published receive specifier), the redirection is
     * recorded in {@code t} ({@link Tcb#setRedirectedRelease}: which wait became which), then the
     * word moves by a compare-and-set, so that a wait that ended meanwhile
     * ({@link #withdrawWaitFor}, which takes no lock) stays ended and a wait for someone else stays
     * as it is. Returns whether the wait was redirected; {@code t}'s CPU adopts it when it next
     * looks at {@code t}'s wait: it finds the word changed, and the record (published by the
     * compare-and-set) saying from whom to whom. {@code atomic} false (a load, a compare, a store)
     * is the negative control of the compare-and-set (tests only): a wait withdrawn between the
     * load and the store comes back as a wait for {@code update}.
     */
    public static boolean redirectWaitFor(XcpuMemory mem, long lockWord, long waitWord, Tcb t, int expect, int update,
                                          boolean locking, boolean atomic) {
        lockForReceive(mem, lockWord, locking);
        t.setRedirectedRelease(redirection(expect, update));
        boolean moved;
        if (atomic) {
            moved = mem.casVolatile(waitWord, expect, update);
        } else {
            moved = mem.loadAcquire(waitWord) == expect;
            if (moved) {
                mem.storeRelease(waitWord, update);
            }
        }
        unlock(mem, lockWord, locking);
        return moved;
    }

    /** The record of a redirection from {@code expect} to {@code update} (raw ids), as {@link Tcb} keeps it. */
    public static long redirection(int expect, int update) {
        return ((long) expect << 32) | (update & 0xFFFF_FFFFL);
    }

    /**
     * Part B of a migration (8.7.2): sets {@code t}'s processor number to {@code cpu} under its
     * TCB lock, so that a sender that read the old number either sees the new one under the lock
     * or has flagged its request before the move (8.5, race 2).
     */
    public static void moveUnderLock(XcpuMemory mem, long lockWord, boolean locking, Tcb t, int cpu) {
        if (locking) {
            SpinLock.lock(mem, lockWord);
        }
        t.setCpuRelease(cpu);
        unlock(mem, lockWord, locking);
    }
}
