package l4smp.kernel.migrate;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.Plant;
import l4smp.kernel.ipc.XpIpc;
import l4smp.kernel.space.FaultState;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MigrationHandshake;

/**
 * Parts B and C of a migration (thesis 8.7.2), run by the source's and the target's CPU when
 * their mailbox check found the request: B takes the thread out of the source CPU's structures
 * and sets its new processor number under its TCB lock (8.5, race 2), C puts it into the target
 * CPU's; the barriers of the migration line order the parts. Owner CPU only.
 */
final class MigrationParts {

    private final Migration migration;
    /**
     * The thread that part B took out of this CPU's structures to leave it, from its detach
     * until its processor number names the target (null otherwise). Between the two this CPU
     * waits in the barriers with interrupts enabled, and the thread still counts as this CPU's
     * ({@code cpu} unchanged): an interrupt handler that acts on this CPU's threads must leave it
     * alone, or it would enter it into this CPU's lists after it left them. Owner CPU only.
     */
    private Tcb leaving;

    MigrationParts(Migration migration) {
        this.migration = migration;
    }

    /** Runs the migration parts requested of this CPU. Returns whether it ran one. */
    boolean servePending() {
        XpIpc xp = migration.kcpu.ipcPath().xp();
        if (xp == null) {
            return false;
        }
        boolean ran = false;
        Mailbox m;
        while ((m = migration.mailboxes.pollMigration()) != null) {
            int seq = m.migrationSeqPlain();
            Migration.Op o = (Migration.Op) MigrationHandshake.take(migration.mem, m);
            if (o.b == migration.index) {
                partB(o, seq);
            } else {
                partC(o, seq);
            }
            ran = true;
        }
        return ran;
    }

    /** The thread part B is moving off this CPU now (detached, processor number not yet moved), or null. */
    Tcb leaving() {
        return leaving;
    }

    /** Part B on the source CPU. */
    void partB(Migration.Op o, int seq) {
        int c = o.c;
        int a = o.a;
        Tcb t1 = o.target;
        int status = detach(o);
        long wakeup = o.wakeupTime;
        o.status = status;
        MigrationHandshake.pass(migration.mem, o.line, Migration.W_B1, seq); // (=1)
        if (status != Migration.ST_OK) {
            return;
        }
        migration.await(o.line, Migration.W_A2, seq, "migration barrier =2 (A)");
        if (c != migration.index) {
            migration.await(o.line, Migration.W_C2, seq, "migration barrier =2 (C)");
            migration.mailboxes.moveUnderTcbLock(t1, c); // 8.5 race 2: see XpIpc.sendPath
            migration.kcpu.touchTcb(t1, Field.CPU, AccessKind.WRITE);
            leaving = null;
            MigrationHandshake.pass(migration.mem, o.line, Migration.W_B3, seq); // (~3)
        } else {
            attach(t1, wakeup); // B == C: a priority or timeslice change
        }
    }

    /** B's tail when A == B: the processor number, then ~3. */
    void setProcessor(Migration.Op o, int seq) {
        if (o.c != migration.index) {
            migration.mailboxes.moveUnderTcbLock(o.target, o.c); // 8.5 race 2: see XpIpc.sendPath
            migration.kcpu.touchTcb(o.target, Field.CPU, AccessKind.WRITE);
            leaving = null;
        }
        MigrationHandshake.pass(migration.mem, o.line, Migration.W_B3, seq);
    }

    /** Part C on the destination CPU (neither A nor B). */
    void partC(Migration.Op o, int seq) {
        migration.await(o.line, Migration.W_A2, seq, "migration barrier =2 (A)");
        Tcb t1 = o.target;
        long wakeup = o.wakeupTime;
        MigrationHandshake.pass(migration.mem, o.line, Migration.W_C2, seq); // (=2)
        attach(t1, wakeup);
        migration.await(o.line, Migration.W_B3, seq, "migration ~3 (B sets the processor number)");
    }

    /**
     * B's verdict on {@code o.target}, and if it is "ok", the thread leaves this CPU's structures
     * (ready list; if it migrates, also the wakeup queue, the send queues and the FPU).
     */
    int detach(Migration.Op o) {
        Tcb t = o.target;
        migration.kcpu.touchTcb(t, Field.STATE, AccessKind.READ);
        if (t.myselfAcquire() == null || t.state() == ThreadState.DEAD) {
            return Migration.ST_GONE;
        }
        if (t.cpuPlain() != migration.index) {
            return Migration.ST_BUSY; // cannot happen with the locks held; the initiator tries again
        }
        if (t.priority() > o.callerMcp) {
            return Migration.ST_REFUSED; // X.2: the target's priority exceeds the caller's MCP
        }
        // 8.5 race 1: a thread whose cross-processor send a proxy handles (locked waiting, its
        // proxy set) stays where the proxy's wake-up will look for it (not so when planted).
        boolean inXpSend = t.state() == ThreadState.LOCKED_WAITING || t.proxyAcquire() != null;
        if (t == migration.host.kernelPathThread() || t == migration.kcpu.current()
                || (inXpSend && migration.kernel.config().plant() != Plant.MIGRATE_SENDER)
                || t.kernelResume() == KernelResume.XP_RETURN
                || t.pendingReturn() != null
                || (t.fault() != null && t.fault().kind() != FaultState.NONE)) {
            return Migration.ST_BUSY;
        }
        for (Tcb s = t.sendQueueHead(); s != null; s = s.sendNext()) {
            if (s.hardwareLine() >= 0) {
                return Migration.ST_BUSY; // an interrupt in delivery: its thread stays with the handler's CPU
            }
        }
        migration.host.detachForMigration(t, o.c != migration.index);
        if (o.c != migration.index) {
            leaving = t;
            migration.kcpu.ipcPath().migrateOut(t);
            if (t.wakeupIndex() >= 0) {
                o.wakeupTime = t.wakeupTime(); // 8.7.3: the absolute time, kept on C
                migration.kcpu.removeWakeup(t);
            }
        }
        return Migration.ST_OK;
    }

    /** C inserts {@code t} (ready list; wakeup queue with its remaining timeout, 8.7.3). */
    void attach(Tcb t, long wakeup) {
        migration.host.attachAfterMigration(t);
        if (wakeup != Migration.NO_WAKEUP) {
            migration.kcpu.touchTcb(t, Field.WAKEUP_LINKS, AccessKind.WRITE);
            migration.kcpu.addWakeup(t, wakeup);
        }
    }
}
