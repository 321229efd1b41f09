package l4smp.kernel.xcpu;

import l4smp.kernel.thread.Tcb;

/**
 * The cross-processor steps of a migration (thesis 8.7.2) over {@link XcpuMemory}: the
 * migration locks taken in ascending CPU order, the request that carries a part to the source's
 * or the target's CPU through an XCPU mailbox, and the barrier words of the initiator's line.
 * The kernel's {@code Migration} and {@code MigrationParts} run them on simulated memory, the
 * jcstress tests on host memory, so both run the one protocol.
 *
 * <pre>
 *   initiator A:  lockOrder(A, B, C): lock each, ascending;             {@link #lockOrder}
 *                 t1 still on B?  else unlockAll and again              {@link #stillOn}, {@link #unlockAll}
 *                 post the part to B (and later C): fill, publish the
 *                 operation code, flag the request in the line          {@link #post}, {@link #fill}
 *   B or C:       check_n_ack finds the flag: a migration request?      {@link #isRequest}
 *                 take the operation and free the mailbox
 *                 (the consumer frees a request)                        {@link #take}
 *   every part:   pass a barrier (release store of the sequence number),
 *                 wait for one (acquire load, sequence reached)         {@link #pass}, {@link #passed}
 * </pre>
 * Two migrations whose CPU sets overlap take their common locks in the same order, so neither
 * waits for a lock the other holds while holding one it needs (no deadlock); the re-check of
 * the target's processor number under the locks makes a migration that lost the race to another
 * one run again from where the thread is now. The request is written with plain stores before
 * the release store of its operation code and the flag (published by {@link FlagLine}); the
 * consumer reads it after check_n_ack found the flag (its acquire load of the flag word is the
 * partner of the flag's locked or). A CPU has at most one migration request in flight to it:
 * the initiator holds the destination's migration lock from before the post until the
 * destination has taken the request and passed its barrier; requests of other kinds (an IPC)
 * from other CPUs may be posted to the same line meanwhile.
 *
 * <p>Stateless; every step runs on the calling CPU. Allocation-free.
 */
public final class MigrationHandshake {

    private MigrationHandshake() {
    }

    /**
     * The distinct CPUs of {@code {a, b, c}} in ascending order, written into {@code out}
     * (length at least 3): the order in which the initiator takes their migration locks.
     * Returns how many.
     */
    public static int lockOrder(int a, int b, int c, int[] out) {
        int lo = Math.min(a, Math.min(b, c));
        int hi = Math.max(a, Math.max(b, c));
        int mid = a + b + c - lo - hi;
        int n = 0;
        out[n++] = lo;
        if (mid != lo) {
            out[n++] = mid;
        }
        if (hi != mid) {
            out[n++] = hi;
        }
        return n;
    }

    /**
     * Whether {@code t} is still on CPU {@code b}, read with the migration locks held: false when
     * another migration moved it between the initiator's first read and its locks.
     */
    public static boolean stillOn(Tcb t, int b) {
        return t.cpuAcquire() == b;
    }

    /** Releases the migration locks of {@code a}, {@code b}, {@code c} (each CPU's once). */
    public static void unlockAll(XcpuMemory mem, int a, int b, int c, long lockA, long lockB, long lockC) {
        SpinLock.unlock(mem, lockA);
        if (b != a) {
            SpinLock.unlock(mem, lockB);
        }
        if (c != a && c != b) {
            SpinLock.unlock(mem, lockC);
        }
    }

    /**
     * Posts migration operation {@code op} with sequence number {@code seq} through mailbox
     * {@code m}, claimed by the caller: fill it, publish its operation code, and set its request
     * flag in {@code destFlagLine}, the destination CPU's line. The IPI decision follows
     * ({@link XpSendHandshake#ipiNeeded}, urgent: the initiator waits next).
     */
    public static void post(XcpuMemory mem, Mailbox m, Mailbox.MigrationOperation op, int seq, long destFlagLine) {
        fill(mem, m, op, seq);
        FlagLine.set(mem, destFlagLine, m.requestBit); // release (locked or): partner FlagLine.checkAndAck's acquire load
    }

    /**
     * The first half of {@link #post}: writes operation {@code op} and sequence number
     * {@code seq} into the claimed mailbox {@code m} (plain stores) and publishes its operation
     * code (release store). Nothing reads them before {@link #post} sets the request flag.
     */
    public static void fill(XcpuMemory mem, Mailbox m, Mailbox.MigrationOperation op, int seq) {
        m.setMigrationPlain(op);
        m.setMigrationSeqPlain(seq);
        m.setSenderPlain(null);
        m.setOpPlain(Mailbox.OP_MIGRATE);
        mem.storeRelease(m.address + Mailbox.OP, Mailbox.OP_MIGRATE);
    }

    /**
     * The destination's side, in check_n_ack: whether flag {@code bit} of its line, just found
     * and cleared, is a migration request in mailbox {@code m} (a request bit, operation code
     * {@link Mailbox#OP_MIGRATE}). The operation code is read plain: the flag's acquire load in
     * check_n_ack published it.
     */
    public static boolean isRequest(Mailbox m, int bit) {
        return bit < FlagLine.BITS / 2 && m.opPlain() == Mailbox.OP_MIGRATE;
    }

    /**
     * The destination's side: takes the operation out of mailbox {@code m}, whose request flag
     * check_n_ack found (read its sequence number, {@link Mailbox#migrationSeqPlain}, before),
     * and frees the mailbox: the consumer frees a migration request.
     */
    public static Mailbox.MigrationOperation take(XcpuMemory mem, Mailbox m) {
        Mailbox.MigrationOperation op = m.migrationPlain();
        m.setMigrationPlain(null);
        MailboxPool.free(mem, m.address);
        return op;
    }

    /** Passes barrier {@code word} of migration line {@code line} for operation {@code seq}. */
    public static void pass(XcpuMemory mem, long line, int word, int seq) {
        mem.storeRelease(line + word, seq);
    }

    /** Whether barrier {@code word} of {@code line} has been passed for operation {@code seq} (or a later one). */
    public static boolean passed(XcpuMemory mem, long line, int word, int seq) {
        return mem.loadAcquire(line + word) - seq >= 0;
    }
}
