package l4smp.kernel.migrate;

import l4smp.kernel.ipc.XpIpc;
import l4smp.kernel.ipc.XpSendPath;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.MigrationHandshake;
import l4smp.kernel.xcpu.XcpuFabric;
import l4smp.kernel.xcpu.XpSendHandshake;

/**
 * The XCPU mailboxes as a migration uses them (8.7.2: parts B and C travel as mailbox requests
 * to the source's and the target's CPU): claiming and posting a request, the queue of requests
 * that this CPU's check_n_ack found, and the move of a thread's processor number under its TCB
 * lock (8.5, race 2).
 *
 * <p>Owner CPU only. The queue is a fixed ring (one slot per mailbox to this CPU): allocation-free.
 */
final class MigrationMailboxes implements XpIpc.MigrationSink {

    private final XpIpc xp;
    private final CpuXcpuMemory mem;
    private final XcpuFabric fabric;
    /** Migration requests found by check_n_ack and not yet run (8.7.2 parts B and C). */
    private final Mailbox[] migrations;
    private int migrationHead;
    private int migrationCount;

    MigrationMailboxes(XpIpc xp, XcpuFabric fabric) {
        this.xp = xp;
        this.mem = xp.memory();
        this.fabric = fabric;
        this.migrations = new Mailbox[fabric.perPair() * fabric.cpus()];
        xp.setMigrationSink(this);
    }

    @Override
    public void arrived(Mailbox m) {
        migrations[(migrationHead + migrationCount) % migrations.length] = m;
        migrationCount++;
    }

    /** Claims a free mailbox to {@code dest} for a migration request, or null (all in flight). */
    public Mailbox claimForMigration(int dest) {
        Mailbox m = xp.claim(dest);
        if (m != null) {
            MailboxPool.unlock(mem, m.address);
        }
        return m;
    }

    /** Gives back a mailbox claimed but not used. */
    public void releaseUnused(Mailbox m) {
        xp.mailboxWait().release(m);
    }

    /**
     * Sends migration operation {@code op} (sequence {@code seq}) through the claimed mailbox
     * {@code m}: fill, flag, IPI by the latency rule (sent at once: the initiator waits next).
     */
    public void postMigration(Mailbox m, Mailbox.MigrationOperation op, int seq) {
        MigrationHandshake.post(mem, m, op, seq, fabric.flagLine(m.dest));
        xp.trigger(m.dest, true);
        xp.flushIpis();
    }

    /**
     * Part B of a migration (8.7.2, owner CPU of {@code t}): sets {@code t}'s processor number to
     * {@code cpu} under {@code t}'s TCB lock, so that a sender's XP send path that read the old
     * number either sees the new one under the lock or flags its request before the move (8.5,
     * race 2; see {@link XpSendPath}). This CPU checks its mailboxes at its next kernel exit or
     * before it idles, and the proxy of such a request answers {@link l4smp.kernel.ipc.XpCompletion#RETARGET}.
     */
    public void moveUnderTcbLock(Tcb t, int cpu) {
        XpSendHandshake.moveUnderLock(mem, xp.lockWordOf(t), xp.tcbLocking(), t, cpu);
    }

    /** Runs check_n_ack now (a CPU spinning in the kernel); returns whether migrations wait. */
    public boolean checkForMigrations() {
        xp.check().checkNow();
        return migrationCount > 0;
    }

    /** Whether migration parts wait to run on this CPU. */
    public boolean hasPendingMigrations() {
        return migrationCount > 0;
    }

    /** The next migration request found by check_n_ack, or null. */
    public Mailbox pollMigration() {
        if (migrationCount == 0) {
            return null;
        }
        Mailbox m = migrations[migrationHead];
        migrations[migrationHead] = null;
        migrationHead = (migrationHead + 1) % migrations.length;
        migrationCount--;
        return m;
    }
}
