package l4smp.kernel.migrate;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.SpinCondition;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.ipc.XpIpc;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.SyscallArgument;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MigrationHandshake;
import l4smp.kernel.xcpu.SpinLock;
import l4smp.kernel.xcpu.XcpuFabric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code schedule} system call and thread migration on one CPU (thesis 7.2, 8.7; design
 * decisions 1-3; implementation decisions 1, 3 and 4).
 *
 * <h2>The algorithm of 8.7.2</h2>
 * A runs {@code schedule} for a caller, B is the target thread's CPU (the source), C the
 * destination. Every part runs in kernel mode; B's and C's parts are requested through the XCPU
 * mailboxes ({@link Mailbox#OP_MIGRATE}: flag in the destination's packed line, IPI by the same
 * latency rule as an IPC, 8.3.4) and run by the destination's dispatcher before it picks a
 * thread. The barriers are words in the initiator's migration line (simulated memory, charged by
 * the accounting layer), each holding the sequence number of the last operation that passed it;
 * every wait is an interruptible {@link Cpu#spinWaitUntil} (the waiting CPU keeps taking its
 * interrupts: IPIs, TLB shootdowns, XCPU mailboxes), never a blocked host thread.
 * <pre>
 *   A: checks; lock {A, B, C}; trigger B            B: verdict (ok / busy / gone / refused);
 *      (=1) wait for B's verdict                       if ok: t1 leaves the ready list, the
 *      exchange the timeslice and priority              wakeup queue and the send queues, its
 *      trigger C                                        FPU state is saved (8.7.1);  (=1)
 *      (=2) publish, wait for C                        (=2) wait for A and C
 *      unlock, return to the caller                    set t1.cpu = C (release); (~3) publish
 *                                                   C: (=2) wait for A; publish;
 *                                                      insert t1 (ready list; the wakeup queue
 *                                                      with its remaining timeout, 8.7.3);
 *                                                      (~3) wait until B set the processor number
 * </pre>
 * One refinement of the thesis's order: B removes t1 from its ready list before =1, not after
 * it: the ready list is indexed by priority, so A must not change the priority while t1 is still
 * linked. The cases A == B and A == C run their parts inline, with no IPI and without the
 * barriers between A and themselves (8.7.2, last paragraph); B == C is a priority or timeslice
 * change (B removes and reinserts t1, which "is nothing more than executing first B and then C
 * on the same processor").
 *
 * <h2>Deadlock freedom (closing a point the thesis leaves open)</h2>
 * Two migrations whose CPUs overlap could each wait, in a barrier, for a CPU that is waiting in
 * the other's barrier. The initiator therefore takes the migration locks (one word per CPU) of
 * {A, B, C} in ascending CPU order before it triggers anything: the CPU sets of the operations
 * in flight are disjoint, a participant never waits for anything but its own operation, and a
 * CPU that spins for a lock runs the migration parts requested of it meanwhile (an operation in
 * flight that includes it holds its lock, so the CPU is not the holder).
 *
 * <h2>What makes a thread migratable (8.5)</h2>
 * B refuses ("busy": the caller sleeps {@link #BUSY_BACKOFF_CYCLES} and calls again, 8.5's
 * "delaying the migration request", for at most {@link #BUSY_LIMIT_CYCLES}, then fails with
 * error 2) while t1 is inside a kernel path, sends cross-processor (locked waiting: a proxy
 * handles a request for it, the "do not migrate" lock of 8.5's first race), has a reply to
 * consume, or a page fault in progress. A receiver that leaves takes none of its senders along
 * half-done: each local sender polling in its send queue runs its IPC again (now to the new
 * CPU), and the proxies that poll for remote senders answer "retarget" (the sender's CPU runs
 * the IPC again); a request that reaches B after t1 left is retargeted by its proxy the same
 * way (8.5 races 2 and 3; a receiver migrated to the sender's CPU thus finishes as a local IPC).
 * Two points the thesis leaves open are closed in the IPC paths: B sets t1's processor number
 * under t1's TCB lock, and a sender re-reads it under that lock before it flags its request, so
 * no request is left in a mailbox of a CPU that t1 has left ({@code XpIpc.sendPath}); and a
 * caller whose XP send completed but whose XP RETURN has not yet run counts as receptive on the
 * local path too, for a partner that migrated to the caller's CPU ({@code IpcPath.sendPhase}).
 *
 * <p>Owner CPU only (each part runs on its CPU; the shared words are the barrier line and the
 * lock words, both simulated memory).
 */
public final class Migration {

    final MigrationParts migrationParts = new MigrationParts(this);

    static final Logger LOG = LoggerFactory.getLogger(Migration.class);

    /** X.2 schedule errors (UTCB error code). */
    public static final int E_NO_PRIVILEGE = 1;
    public static final int E_UNAVAILABLE = 2;
    public static final int E_INVALID = 5;

    /** B's verdicts. */
    static final int ST_OK = 1;
    static final int ST_BUSY = 2;
    static final int ST_GONE = 3;
    static final int ST_REFUSED = 4;

    /** Barrier words in the initiator's line. */
    static final int W_B1 = 0;
    static final int W_A2 = 4;
    static final int W_C2 = 8;
    static final int W_B3 = 12;

    /** No wakeup: the thread waits forever, or is ready. */
    static final long NO_WAKEUP = Long.MIN_VALUE;

    /** Cycles the caller sleeps when B answered "busy" before it calls again. */
    static final int BUSY_BACKOFF_CYCLES = 500;

    /**
     * How long a schedule call retries a target that stays busy (8.5: delaying the request),
     * in simulated cycles from its first "busy" (about 2.2 ms at 450 MHz, some 2,000 retries).
     * A target in a cross-processor send whose receiver never receives stays busy forever; past
     * this bound the call fails with {@link #E_UNAVAILABLE} instead of retrying indefinitely.
     */
    public static final long BUSY_LIMIT_CYCLES = 1_000_000;

    /**
     * The give-up time of a schedule call that retries (held in the caller's
     * {@code sysArgument}, which {@code L4.schedule} clears on every call; allocated once per
     * call that meets a busy target: a slow path).
     */
    static final class BusyRetry implements SyscallArgument {
        final long giveUpAt;

        BusyRetry(long giveUpAt) {
            this.giveUpAt = giveUpAt;
        }
    }

    /** One migration operation, owned by its initiating CPU (one in flight per initiator). */
    static final class Op implements Mailbox.MigrationOperation {
        long line;
        int seq;
        Tcb target;
        int a;
        int b;
        int c;
        int priority;
        long timeslice;
        int callerMcp;
        /** Written by B before it passes =1. */
        int status;
        long wakeupTime;
        int oldPriority;

        Op(long line) {
            this.line = line;
        }
    }

    final Kernel kernel;
    final KernelCpuPort kcpu;
    final MigrationHost host;
    final Cpu cpu;
    final int index;
    final CpuXcpuMemory mem;
    final Op op;
    final Wait wait = new Wait();
    final LockWait lockWait = new LockWait();
    /** The CPUs whose migration locks an operation takes, in locking order. */
    private final int[] lockOrder = new int[3];

    /** The XCPU mailboxes of this CPU's migrations; null on a one-CPU machine. */
    MigrationMailboxes mailboxes;

    public Migration(Kernel kernel, KernelCpuPort kcpu, MigrationHost host) {
        this.kernel = kernel;
        this.kcpu = kcpu;
        this.host = host;
        this.cpu = kcpu.cpu();
        this.index = kcpu.index();
        this.mem = new CpuXcpuMemory(cpu);
        this.op = new Op(0);
    }

    /** Binds the XCPU mailboxes (at boot, once the CPU's cross-processor IPC exists). */
    public void attach(XpIpc xp, XcpuFabric fabric) {
        this.mailboxes = new MigrationMailboxes(xp, fabric);
    }

    /** Whether migration parts wait to run on this CPU. */
    public boolean hasPending() {
        return mailboxes != null && mailboxes.hasPendingMigrations();
    }

    /** Waits until a barrier word reaches a sequence number. */
    final class Wait implements SpinCondition {
        long line;
        int word;
        int seq;

        @Override
        public boolean isSatisfied() {
            return MigrationHandshake.passed(mem, line, word, seq);
        }
    }

    /** Waits until a migration lock is free, or a migration part is requested of this CPU. */
    final class LockWait implements SpinCondition {
        long address;

        @Override
        public boolean isSatisfied() {
            // check_n_ack each iteration: a CPU spinning in the kernel has published that it
            // checks "now", so no IPI comes to tell it of a part requested of it.
            return mem.loadAcquire(address) == 0 || (mailboxes != null && mailboxes.checkForMigrations());
        }
    }

    void await(long line, int word, int seq, String reason) {
        flushIpis();
        wait.line = line;
        wait.word = word;
        wait.seq = seq;
        cpu.spinWaitUntil(wait, reason, true);
    }

    /**
     * Sends the IPIs this CPU's kernel path decided on before it waits: a trigger whose IPI were
     * held back until the end of the path would keep the destination's "IPI pending" word set,
     * and so every other CPU's IPI to it, while this CPU waits for that destination.
     */
    void flushIpis() {
        XpIpc xp = kcpu.ipcPath().xp();
        if (xp != null) {
            xp.flushIpis();
        }
    }

    // =========================================================================================
    // A: the system call
    // =========================================================================================

    /**
     * The schedule call of {@code x}: {@code sysTo} the target, {@code sysTag} the processor
     * number (1..k, 0 = stay), {@code sysReceiveTimeout} the priority (-1 = unchanged),
     * {@code sysSendTimeout} the timeslice in cycles (<= 0 = unchanged). Result: the target's
     * old priority in {@code sysResultWord}, or -1 with the error code.
     */
    public void schedule(Tcb x) {
        x.setErrorCode(0);
        if (op.line == 0) {
            op.line = host.migrationLine(index);
        }
        Tcb t1 = kernel.lookup(x.sysTo());
        int processor = x.sysTag();
        int priority = (int) x.sysReceiveTimeout();
        long timeslice = x.sysSendTimeout();
        if (t1 == null) {
            finish(x, -1, E_UNAVAILABLE);
            return;
        }
        if (t1.hardwareLine() >= 0) {
            scheduleInterruptThread(x, t1.hardwareLine(), processor, priority);
            return;
        }
        // 8.2: processor numbers are the boot's (a masked-out CPU has none: above k, invalid).
        int target = processor > 0 ? kernel.physicalCpu(processor) : -1;
        if (processor < 0 || processor > kernel.highestProcessor()
                || (processor > 0 && (target < 0 || kernel.kernelCpu(target) == null)) || priority > 255 || priority < -1) {
            finish(x, -1, E_INVALID);
            return;
        }
        if (priority > x.mcp()) {
            finish(x, -1, E_NO_PRIVILEGE);
            return;
        }
        if (t1 == x) {
            // Implementation decision 4: no thread migrates itself; the request is ignored (the
            // priority and timeslice still apply: x is in its kernel path, in no list).
            if (x.priority() > x.mcp()) {
                finish(x, -1, E_NO_PRIVILEGE);
                return;
            }
            int old = x.priority();
            apply(x, priority, timeslice);
            finish(x, old, 0);
            return;
        }
        while (true) {
            int b = t1.cpuAcquire();
            int c = processor == 0 ? b : target;
            lockAll(index, b, c);
            if (!MigrationHandshake.stillOn(t1, b)) {
                unlockAll(index, b, c); // moved by another migration meanwhile: again
                continue;
            }
            int status = run(t1, b, c, priority, timeslice, x.mcp());
            unlockAll(index, b, c);
            switch (status) {
                case ST_OK -> finish(x, op.oldPriority, 0);
                case ST_GONE -> finish(x, -1, E_UNAVAILABLE);
                case ST_REFUSED -> finish(x, -1, E_NO_PRIVILEGE);
                default -> {
                    // 8.5: delay the request (t1 is in a cross-processor operation): call again,
                    // within a bound (the thesis leaves open how long a migration may be delayed).
                    if (!(x.sysArgument() instanceof BusyRetry)) {
                        x.setSysArgument(new BusyRetry(cpu.clock() + BUSY_LIMIT_CYCLES));
                    } else if (cpu.clock() - ((BusyRetry) x.sysArgument()).giveUpAt >= 0) {
                        busyTooLong(x, t1);
                        return;
                    }
                    // The caller sleeps through the backoff (its wakeup makes it ready, and the
                    // dispatcher runs the call again): a busy retry at the caller's priority
                    // would starve the lower-priority threads of its CPU, among them the very
                    // partner whose IPC keeps t1 busy (a server the caller moved here).
                    x.setKernelResume(KernelResume.RETRY_SCHEDULE);
                    kcpu.writeState(x, ThreadState.WAITING);
                    kcpu.touchTcb(x, Field.WAKEUP_LINKS, AccessKind.WRITE);
                    kcpu.addWakeup(x, cpu.clock() + BUSY_BACKOFF_CYCLES);
                }
            }
            return;
        }
    }

    /** Slow path: the target stayed busy for {@link #BUSY_LIMIT_CYCLES}; the call fails. */
    void busyTooLong(Tcb x, Tcb t1) {
        if (kernel.firstWarning(x)) {
            LOG.warn("{} on CPU {}: schedule of {} gave up after {} cycles: the target stays in a cross-processor"
                    + " operation; error {} (unavailable thread)", x, index, t1, BUSY_LIMIT_CYCLES, E_UNAVAILABLE);
        }
        finish(x, -1, E_UNAVAILABLE);
    }

    /**
     * Schedule on the interrupt thread of {@code line} (X.2: interrupt threads are threads;
     * Pistachio's {@code SYS_SCHEDULE} treats them as any other): the priority is set (within
     * the caller's MCP) and the old one returned; the timeslice does not apply (an interrupt
     * thread never runs here: its interrupts are delivered as IPC at once), and migrating it
     * (routing its line elsewhere) is refused with error 5, invalid parameter.
     */
    private void scheduleInterruptThread(Tcb x, int line, int processor, int priority) {
        if (processor != 0 || priority > 255 || priority < -1) {
            finish(x, -1, E_INVALID);
            return;
        }
        if (priority > x.mcp() || kernel.interruptPriorities().volatileOf(line) > x.mcp()) {
            finish(x, -1, E_NO_PRIVILEGE);
            return;
        }
        int old = priority >= 0 ? kernel.interruptPriorities().exchangeVolatile(line, priority) : kernel.interruptPriorities().volatileOf(line);
        finish(x, old, 0);
    }

    void finish(Tcb x, int oldPriority, int error) {
        x.setSysArgument(null);
        x.setErrorCode(error);
        x.setSysResultWord(oldPriority);
        kcpu.enqueueReadyHead(x);
        kcpu.setSwitchHint(x);
    }

    static void apply(Tcb t, int priority, long timeslice) {
        if (priority >= 0) {
            t.setPriority(priority);
        }
        if (timeslice > 0) {
            t.setTimeslice(timeslice);
            t.setRemainingTimeslice(Math.min(t.remainingTimeslice(), timeslice));
        }
    }

    /** The operation with the locks held. Returns B's verdict. */
    int run(Tcb t1, int b, int c, int priority, long timeslice, int callerMcp) {
        Op o = op;
        XpIpc xp = kcpu.ipcPath().xp();
        // Trigger B and C as early as possible (8.7.2): claim both mailboxes first, so that a
        // full mailbox pool never strands a part half done (the caller backs off instead).
        Mailbox toB = null;
        Mailbox toC = null;
        if (b != index) {
            toB = mailboxes.claimForMigration(b);
            if (toB == null) {
                return ST_BUSY;
            }
        }
        if (c != index && c != b) {
            toC = mailboxes.claimForMigration(c);
            if (toC == null) {
                if (toB != null) {
                    mailboxes.releaseUnused(toB);
                }
                return ST_BUSY;
            }
        }
        int seq = ++o.seq;
        o.target = t1;
        o.a = index;
        o.b = b;
        o.c = c;
        o.priority = priority;
        o.timeslice = timeslice;
        o.callerMcp = callerMcp;
        o.status = 0;
        o.wakeupTime = NO_WAKEUP;
        int status;
        if (b == index) {
            status = migrationParts.detach(o); // A == B: no IPI, no =1
        } else {
            mailboxes.postMigration(toB, o, seq);
            await(o.line, W_B1, seq, "migration barrier =1 (B)");
            status = o.status;
        }
        if (status != ST_OK) {
            if (toC != null) {
                mailboxes.releaseUnused(toC);
            }
            return status;
        }
        // Exchange the timeslice and priority: t1 is in no list of B, and B waits at =2.
        o.oldPriority = t1.priority();
        kcpu.touchTcb(t1, Field.STATE, AccessKind.WRITE);
        apply(t1, priority, timeslice);
        if (toC != null) {
            mailboxes.postMigration(toC, o, seq);
        }
        MigrationHandshake.pass(mem, o.line, W_A2, seq); // (=2), A's side
        if (b == index) {
            if (c != index) {
                await(o.line, W_C2, seq, "migration barrier =2 (C)");
            }
            migrationParts.setProcessor(o, seq);
            if (c == index) {
                migrationParts.attach(t1, o.wakeupTime); // a priority change on A's own CPU
            }
        } else if (c == index) {
            MigrationHandshake.pass(mem, o.line, W_C2, seq); // A is C
            migrationParts.attach(t1, o.wakeupTime);
            await(o.line, W_B3, seq, "migration ~3 (B sets the processor number)");
        } else if (c != b) {
            await(o.line, W_C2, seq, "migration barrier =2 (C)");
        }
        return ST_OK;
    }

    // ---- the migration locks ----------------------------------------------------------------

    /** Takes the migration locks of {a, b, c} in ascending CPU order (deadlock freedom, see above). */
    void lockAll(int a, int b, int c) {
        int n = MigrationHandshake.lockOrder(a, b, c, lockOrder);
        for (int i = 0; i < n; i++) {
            lock(lockOrder[i]);
        }
    }

    void unlockAll(int a, int b, int c) {
        MigrationHandshake.unlockAll(mem, a, b, c, host.migrationLock(a), host.migrationLock(b), host.migrationLock(c));
    }

    void lock(int which) {
        long word = host.migrationLock(which);
        XpIpc xp = kcpu.ipcPath().xp();
        while (!SpinLock.tryLock(mem, word)) {
            flushIpis();
            lockWait.address = word;
            cpu.spinWaitUntil(lockWait, "migration lock of CPU " + which, true);
            if (xp != null) {
                mailboxes.checkForMigrations();
                migrationParts.servePending(); // an operation in flight needs this CPU
            }
        }
    }

    // =========================================================================================
    // B and C: the parts requested through the mailboxes
    // =========================================================================================

    // ---- B's and C's list work ----------------------------------------------------------------

    /** For reports: the thread id of the target of the operation in flight, if any. */
    public ThreadId lastTarget() {
        return op.target == null ? ThreadId.NIL : op.target.id;
    }

    /**
     * The thread that a migration is moving off this CPU now: taken out of its structures, its
     * processor number not yet the target's (this CPU waits in the barriers in between). Its
     * closed receive's partner-gone check belongs to the target CPU, which requests one when it
     * attaches a waiting thread. Null when none.
     */
    public Tcb leavingThread() {
        return migrationParts.leaving();
    }

    /** Runs the migration parts requested of this CPU. Returns whether it ran one. */
    public boolean servePending() {
        return migrationParts.servePending();
    }
}
