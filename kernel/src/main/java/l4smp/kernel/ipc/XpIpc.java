package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpu;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.SpinLock;
import l4smp.kernel.xcpu.XcpuFabric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-processor IPC on one CPU (thesis 8.3.3 - 8.4): the XP send path, the proxy's xp send
 * path, the receiver's side of it, the sender's wakeup through the reply mailbox, and the
 * mailbox trigger ({@code check_n_ack}, IPIs).
 *
 * <h2>The paths</h2>
 * <pre>
 *   XP send (on the sender's CPU a, A -> B on b; 8.3.5 "send path"):
 *     detection: send tag bit 12 set -> error 7 (aborted), offset 0, B's processor in the UTCB
 *     find a free mailbox a->b, lock it, fill it (A, B, tag, deadline), unlock it
 *     lock B's TCB; w = B.WAIT_FOR                               (8.3.3, see "TCB lock")
 *       send timeout 0 and B not receptive: unlock, free the mailbox, timeout error (as locally)
 *       A.proxy = mailbox.proxy; A.state = locked waiting; set the mailbox's flag in b's line
 *     unlock B's TCB
 *     IPI to b if (B receptive or A's send timeout finite) and b checks later than max latency
 *   check_n_ack (on b: every kernel exit, so also after every timer tick; the IPI handler; the
 *     receive path): for each flag: clear it; a request hooks its proxy (ready, priority 255);
 *     a reply (8.4.1) makes its sender run the rest of its IPC
 *   proxy (on b; 8.3.5 "xp send path"): check again that B exists; if B waits for A: transmit
 *     (the copy runs here, on the receiver's CPU: implementation decision 2) and wake A;
 *     else A goes into B's send queue (the sender, not the proxy: 8.3.5's open question), the
 *     proxy polls, in b's wakeup queue with A's send deadline
 *   receive (on b; 8.3.5 "receive path"): a sender of another CPU found in the send queue or
 *     named by a closed receive: its proxy pointer read ONCE into a temporary; if that proxy is
 *     one of b's and polls to B: dequeue A, dequeue the proxy's timeout, and let the proxy
 *     transmit (switchTo(sendproxy)); else B waits
 *   wakeup sender (8.4.1): A.xp_cc = code, A.proxy = null, the same mailbox becomes the reply
 *     (its reply flag in a's line); on a, A frees the mailbox and finishes its IPC: an error,
 *     done (send only), or its receive phase
 *   page fault in the proxy's copy of a long IPC (8.4.2; the space layer, SpaceIpc): in B's
 *     space, the proxy polls again with A at the head of B's queue while B resolves it; in A's
 *     space, the reply is REDO_FAULT: A redoes the fault on a, then its send
 * </pre>
 *
 * <h2>The TCB lock (8.3.3) and the trigger</h2>
 * The sender's CPU decides whether b must be interrupted: an IPI is needed only when the
 * request can complete before b's next receive path runs, that is when B already waits
 * (receptive), or when A's send timeout must start counting on b. "B waits" is B's WAIT_FOR
 * word, published by b. Without a lock this is 8.3.3's lost wake-up: A reads "B not waiting",
 * decides on no IPI; B checks its mailboxes (none yet), publishes "waiting" and b idles; A sets
 * the flag: nobody looks at it again. So the sender's read of WAIT_FOR and its flag store, and
 * the receiver's check_n_ack and its store to WAIT_FOR, both run under B's TCB lock (a spinlock
 * in B's global-modified line): whichever comes second sees the other. Holders of a TCB lock
 * never wait for anything else (IPIs are sent after the locks are released; a full mailbox pool
 * makes the sender retry later, without the lock), so interrupts stay off while spinning for
 * one, and a busy LINT slot can never join a lock into a deadlock (8.3.3, D8).
 *
 * <h2>The proxy never blocks the CPU (8.4.4)</h2>
 * Each mailbox has its own proxy thread on the destination CPU (the thesis's
 * {@code mailbox[id].proxy}: a proxy serves one operation at a time, so "whether to enqueue the
 * proxy or the sender does not matter", 8.3.5). A proxy whose receiver is not ready does not
 * wait in a loop: it leaves the sender in the receiver's send queue and its own timeout in the
 * wakeup queue, and goes off the CPU (state polling). The operation in work is thus a passive
 * record (the mailbox), not a blocked thread: other mailboxes' proxies run meanwhile, and the
 * receiver's path continues the operation when it finds the sender (8.4.4: "insert it to some
 * datastructure that keeps currently in work mailboxes ... check the pending operations if one
 * of them can be continued"; here the receiver does the check, so there is no polling).
 *
 * <h2>Transparency (design decision 6)</h2>
 * Error codes are those of the local paths: the ZERO-timeout send to a receiver not ready fails
 * on the sender's CPU with timeout (B's state is exact under its lock); a receiver that named
 * A in a call whose send phase already completed counts as receptive (its receive phase follows
 * atomically, as on one CPU: the proxy publishes it in A's WAIT_FOR before it wakes A); send
 * deadlines are absolute simulated times carried in the mailbox; a receive path runs the
 * proxies whose requests it finds before it decides, so that a receive with timeout 0 sees a
 * sender whose request has arrived (this closes the "first interval" that 8.3.5 chose to
 * ignore). Bit 11 and X.2's X flag (bit 14) of the result tag report a crossed IPC.
 *
 * <p>Owner CPU only. Hot paths allocation-free; a full mailbox pool is a slow path.
 */
public final class XpIpc implements FlagLine.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(XpIpc.class);

    /** {@link Tcb#kernelResume}: nothing. */
    public static final int RESUME_NONE = 0;
    /** {@link Tcb#kernelResume}: consume the reply mailbox of a finished XP send (8.4.1). */
    public static final int RESUME_XP_RETURN = 1;
    /** {@link Tcb#kernelResume}: run the IPC again (no free mailbox the first time). */
    public static final int RESUME_RETRY_IPC = 2;
    /** {@link Tcb#kernelResume}: run the schedule call again (its target was busy, 8.5). */
    public static final int RESUME_RETRY_SCHEDULE = 3;

    /**
     * A proxy's completion code meaning "the receiver left this CPU before the request was
     * served" (migration, thesis 8.5 races 2 and 3): the sender's CPU runs the IPC again, to the
     * receiver's new CPU (or locally, if the receiver came to the sender's CPU). Never an IPC
     * error word (those are non-negative).
     */
    public static final int RETARGET = -1;

    /**
     * A proxy's answer meaning "the copy faulted in your space: redo the fault on your CPU, then
     * your send" (8.4.2; {@link l4smp.kernel.space.SpaceIpc#xpRedoSenderFault}). Never an IPC
     * error word.
     */
    public static final int REDO_FAULT = -2;

    /** Proxy states (the proxy's own, on its CPU). */
    static final int P_IDLE = 0;
    static final int P_HOOKED = 1;
    static final int P_POLLING = 2;
    static final int P_RUNNING = 3;

    /** The priority of proxy threads: above every user thread of priority < 255. */
    public static final int PROXY_PRIORITY = 255;

    /** check_n_ack callers. */
    private static final int BY_POLL = 0;
    private static final int BY_IPI = 1;
    private static final int BY_RECEIVE = 2;

    private final Kernel kernel;
    private final KernelCpu kcpu;
    private final IpcPath ipc;
    private final XcpuFabric fabric;
    private final CpuXcpuMemory mem;
    private final TcbLayout layout;
    private final int index;
    private final long flagLine;
    private final long maxLatency;
    private final boolean copyOnSender;
    private final boolean tcbLock;
    /** IPIs to send once the kernel path has released its locks (bit i: CPU i). */
    private long ipiMask;
    /** Who called the check now running (for the counters). */
    private int checkMode;
    /** Proxies hooked by the last checks and not yet run (to run them inline from a receive). */
    private final Tcb[] hooked;
    private int hookedCount;
    /** The thread whose receive path runs now (it counts as receptive for arriving proxies). */
    private Tcb receiving;
    /** Migration requests found by check_n_ack and not yet run (8.7.2 parts B and C). */
    private final Mailbox[] migrations;
    private int migrationHead;
    private int migrationCount;
    /** Exchange-registers across processors and the abort of XP IPC in flight (8.4.3). */
    private final XpExchangeRegisters exregs;
    /** Senders waiting for a free mailbox, a FIFO per destination CPU (see "Waiting for a free mailbox"). */
    private final Tcb[] waitHead;
    private final Tcb[] waitTail;
    private int waiters;
    /** The reply mailbox of each pair (its last slot; see "Waiting for a free mailbox"), or -1. */
    private final int reservedSlot;

    /**
     * Simulated cycles by part of the XP path on this CPU (owner writes; read after the machine
     * stopped): [0] send path (mailbox claim, fill, TCB lock, flag), [1] check_n_ack, [2] proxy
     * (arrive and activation, without the copy), [3] copy, [4] XP return.
     */
    private final long[] cycles = new long[5];

    /** Cycle breakdown (see {@link #cycles}); read when the machine has stopped. */
    public long[] cyclesAfterRun() {
        return cycles.clone();
    }

    private SingleWriterCounters counters;
    private int cXp;
    private int cByPoll;
    private int cByIpi;
    private int cByReceive;
    private int cIpisSent;
    private int cIpisSaved;
    private int cAborts;
    private int cRetries;
    private int cReplies;

    public XpIpc(Kernel kernel, KernelCpu kcpu, IpcPath ipc, XcpuFabric fabric, TcbLayout layout,
                 long maxLatency, boolean copyOnSender, boolean tcbLock) {
        this.kernel = kernel;
        this.kcpu = kcpu;
        this.ipc = ipc;
        this.fabric = fabric;
        this.mem = new CpuXcpuMemory(kcpu.cpu());
        this.layout = layout;
        this.index = kcpu.index();
        this.flagLine = fabric.flagLine(index);
        this.maxLatency = maxLatency;
        this.copyOnSender = copyOnSender;
        this.tcbLock = tcbLock;
        this.hooked = new Tcb[fabric.perPair() * fabric.cpus()];
        this.migrations = new Mailbox[fabric.perPair() * fabric.cpus()];
        this.exregs = new XpExchangeRegisters(kernel, kcpu, this, ipc, fabric);
        this.waitHead = new Tcb[2 * fabric.cpus()];
        this.waitTail = new Tcb[2 * fabric.cpus()];
        this.reservedSlot = fabric.perPair() >= 2 ? fabric.perPair() - 1 : -1;
    }

    /** Exchange-registers across processors on this CPU (8.4.3). */
    public XpExchangeRegisters exchangeRegisters() {
        return exregs;
    }

    /** Binds the counters (at CPU start). */
    public void onStart(SingleWriterCounters counters) {
        this.counters = counters;
        var names = counters.names();
        cXp = names.indexOf(Kernel.C_IPC_XCPU);
        cByPoll = names.indexOf(Kernel.C_XCPU_FOUND_BY_POLLING);
        cByIpi = names.indexOf(Kernel.C_XCPU_FOUND_BY_IPI);
        cByReceive = names.indexOf(Kernel.C_XCPU_FOUND_BY_RECEIVE);
        cIpisSent = names.indexOf(Kernel.C_XCPU_IPIS);
        cIpisSaved = names.indexOf(Kernel.C_XCPU_IPIS_SAVED);
        cAborts = names.indexOf(Kernel.C_XCPU_ABORTS);
        cRetries = names.indexOf(Kernel.C_XCPU_MAILBOX_RETRIES);
        cReplies = names.indexOf(Kernel.C_XCPU_REPLIES);
    }

    // =========================================================================================
    // Addresses of the global TCB words
    // =========================================================================================

    private long lockWord(Tcb t) {
        return t.kernelAddress + layout.offset(Field.LOCK);
    }

    private long waitWord(Tcb t) {
        return t.kernelAddress + layout.offset(Field.WAIT_FOR);
    }

    private void lockTcb(Tcb t) {
        if (tcbLock) {
            SpinLock.lock(mem, lockWord(t));
        }
    }

    private void unlockTcb(Tcb t) {
        if (tcbLock) {
            SpinLock.unlock(mem, lockWord(t));
        }
    }

    /** Whether a published WAIT_FOR word accepts a message from {@code sender}. */
    private static boolean accepts(int waitFor, Tcb sender) {
        return waitFor == -1 || (waitFor != 0 && waitFor == sender.id.raw());
    }

    private static boolean accepts(ThreadId from, Tcb sender) {
        return from.isAny() || from.equals(sender.id);
    }

    // =========================================================================================
    // The XP send path (on the sender's CPU)
    // =========================================================================================

    /**
     * The send phase of {@code a} to {@code b}, which runs on another CPU. {@code a} ends up
     * failed (ready), locked waiting for its proxy, or (no free mailbox) ready to retry. Always
     * returns false: the send phase is not complete when this returns (8.3.5: XP RETURN).
     */
    boolean send(Tcb a, Tcb b) {
        long t0 = kcpu.cpu().clock();
        long copy0 = cycles[3];
        try {
            return sendPath(a, b);
        } finally {
            cycles[0] += kcpu.cpu().clock() - t0 - (cycles[3] - copy0);
        }
    }

    private boolean sendPath(Tcb a, Tcb b) {
        int bcpu = b.cpuAcquire();
        if ((a.sysTag & MsgTag.XCPU_ABORT_FLAG) != 0) {
            // Design decision 4, section 7.2: abort before any transfer, error 7 with offset 0
            // (the error word's offset bits stay 0), the destination's processor number in the
            // UTCB ("returned in XXX": closed here as the UTCB field XP_PARTNER_PROCESSOR).
            a.xpPartnerProcessor = kernel.processorNumber(bcpu); // 8.2 numbering
            counters.increment(cAborts);
            ipc.fail(a, IpcError.ABORTED, IpcError.PHASE_SEND);
            return false;
        }
        Mailbox m = takeHandoff(a, bcpu);
        if (m == null) {
            // First come, first served: a sender does not overtake those already waiting.
            m = waitHead[2 * bcpu] == null && waitHead[2 * bcpu + 1] == null ? claim(bcpu) : null;
            if (m == null) {
                m = waitForMailbox(a, b, bcpu);
                if (m == null) {
                    return false;
                }
            }
        }
        // write ipc data to mailbox (8.3.5): the sender, the destination, the send descriptor and
        // the timeout -- as an absolute deadline, so the timeout counts from the send, not from
        // when the proxy runs (design decision 6: timeouts in simulated time, as locally).
        long timeout = a.sysSendTimeout;
        m.op = Mailbox.OP_SEND;
        m.sender = a;
        m.destId = b.id;
        m.tag = a.sysTag;
        m.deadline = timeout == Timeout.NEVER ? Long.MAX_VALUE : kcpu.cpu().clock() + timeout;
        m.preCopied = false;
        mem.storeRelease(m.address + Mailbox.OP, Mailbox.OP_SEND);
        mem.storeRelease(m.address + Mailbox.SENDER, a.id.raw());
        mem.storeRelease(m.address + Mailbox.DEST, b.id.raw());
        mem.storeRelease(m.address + Mailbox.TAG, a.sysTag);
        MailboxPool.unlock(mem, m.address);

        lockTcb(b);
        // (Not charged again: the send path read B's CPU word a moment ago, 8.3.2.)
        if (b.cpuAcquire() != bcpu) {
            // 8.5, race 2, the case the thesis leaves open: B migrated after we read its CPU. A
            // request flagged at the old CPU now would never be looked at: B's receive paths run
            // elsewhere, and the trigger below sends no IPI for a request that is not urgent.
            // B's source sets the new CPU under B's TCB lock (moveUnderTcbLock), so under the
            // lock either we see the new CPU here and the IPC runs again, or our flag is set
            // before the move and the source's next check_n_ack hooks the proxy, which answers
            // RETARGET.
            unlockTcb(b);
            m.sender = null;
            release(m);
            keepRemainingSendTimeout(a, m.deadline);
            a.kernelResume = RESUME_RETRY_IPC;
            a.state = ThreadState.READY;
            kcpu.readyList().enqueueHead(a);
            return false;
        }
        int waitFor = mem.loadAcquire(waitWord(b));
        boolean receptive = accepts(waitFor, a);
        if (m.slot == reservedSlot && waitFor != a.id.raw()) {
            // The reply mailbox is only for a receiver that waits for exactly this sender (see
            // "Waiting for a free mailbox"); B no longer does: wait for an ordinary one.
            unlockTcb(b);
            m.sender = null;
            release(m);
            if (!receptive && timeout == Timeout.ZERO) {
                ipc.fail(a, IpcError.TIMEOUT, IpcError.PHASE_SEND); // as on one CPU
            } else {
                park(a, bcpu, false, true);
            }
            return false;
        }
        if (!receptive && timeout == Timeout.ZERO) {
            // B's state is exact under its lock: it does not wait for A. As locally: timeout.
            unlockTcb(b);
            m.sender = null;
            release(m);
            ipc.fail(a, IpcError.TIMEOUT, IpcError.PHASE_SEND);
            return false;
        }
        // Set proxy pointer, own timeout to infinity (the proxy keeps the deadline), locked waiting.
        a.partner = b;
        a.setProxyRelease(m.proxy);
        kcpu.touchTcb(a, Field.PROXY, AccessKind.WRITE);
        kcpu.touchTcb(a, Field.STATE, AccessKind.WRITE);
        a.state = ThreadState.LOCKED_WAITING;
        a.kernelResume = RESUME_NONE;
        if (receptive && copyOnSender) {
            // Experiment only (D4): the active sender copies now, on its own CPU; the proxy only
            // installs the staged words. B is reserved for A while the copy runs (WAIT_FOR = 0:
            // no other sender sees it receptive).
            mem.storeRelease(waitWord(b), 0);
            unlockTcb(b);
            long c0 = kcpu.cpu().clock();
            int result = ipc.copyMessage(a, b, m.staged);
            cycles[3] += kcpu.cpu().clock() - c0;
            m.preCopied = result == 0;
            FlagLine.set(mem, fabric.flagLine(bcpu), m.requestBit);
        } else {
            // trigger mailbox, still under B's lock (see "The TCB lock" above)
            FlagLine.set(mem, fabric.flagLine(bcpu), m.requestBit);
            unlockTcb(b);
        }
        trigger(bcpu, receptive || timeout != Timeout.NEVER);
        return false;
    }

    /**
     * Finds a free mailbox to {@code dest}, but not the reply mailbox (see "Waiting for a free
     * mailbox"), and claims it (its lock held), or null.
     */
    Mailbox claim(int dest) {
        int per = reservedSlot < 0 ? fabric.perPair() : reservedSlot;
        for (int i = 0; i < per; i++) {
            Mailbox m = fabric.mailbox(index, dest, i);
            if (MailboxPool.tryClaim(mem, m.address)) {
                return m;
            }
        }
        return null;
    }

    // =========================================================================================
    // Waiting for a free mailbox (8.3.4 "find free mailbox"; 8.4.4 "sufficiently many mailboxes")
    // =========================================================================================
    //
    // The mailboxes of the pair this CPU -> d are claimed by this CPU only, and (but for a
    // migration request, which its consumer frees) released by this CPU only, when it consumes
    // their replies. A sender that finds none free does not spin: it waits, off the ready list, in
    // a FIFO per destination CPU (state POLLING, no partner, not in any send queue; its send
    // timeout, if finite, counts in the wakeup queue). A release hands the mailbox, still busy, to
    // the head of a FIFO, which runs its IPC again with it (RESUME_RETRY_IPC); a new sender never
    // overtakes a waiter of its class.
    //
    // A mailbox stays busy while its sender polls in the receiver's send queue, which may last
    // for ever; so the polling sends of CPU a to b and of b to a could hold every mailbox of both
    // pairs while the replies that would end them wait for one: a deadlock of two servers on two
    // CPUs, each called by the other's clients. Hence the last mailbox of each pair, the reply
    // mailbox, is kept for sends whose receiver waits for exactly this sender (its published
    // WAIT_FOR names it: a caller waiting for its reply): such a send never polls, it completes
    // at once on the receiver's CPU, so the reply mailbox is always released soon. Two FIFOs per
    // destination: [2d + 1] senders whose receiver waits for them (served first, by any
    // mailbox), [2d] the others (served by the ordinary mailboxes). A sender handed the reply
    // mailbox whose receiver no longer waits for it gives it back and waits for an ordinary one.
    //
    // Invariants: a waiter is linked in exactly one FIFO, or holds exactly one handoff; a mailbox
    // handed off is busy, so nothing else claims it; every busy mailbox of this CPU is released
    // when its operation ends (its reply arrives, 8.4.1). So a waiter is served after the
    // operations in flight before it: no spinning, no lock, no IPI between releases. Mailboxes
    // freed by another CPU (migration requests) are picked up by a sweep at the timer tick and
    // before the CPU idles. A send with timeout 0 waits only if its receiver is receptive now
    // (else it fails with "timeout" at once, as on one CPU): a zero timeout bounds the partner's
    // readiness, not the kernel's resources (design decision 6).

    /** A mailbox a release handed to {@code a} for the send to {@code bcpu} (its lock taken), or null. */
    private Mailbox takeHandoff(Tcb a, int bcpu) {
        Mailbox h = a.mailboxHandoff;
        if (h == null) {
            return null;
        }
        a.mailboxHandoff = null;
        a.mailboxWaitCpu = -1;
        if (h.dest != bcpu) {
            release(h); // the receiver moved meanwhile: the mailbox goes to the next waiter
            return null;
        }
        SpinLock.lock(mem, h.address + Mailbox.LOCK); // busy since the handoff: lock it to fill it
        return h;
    }

    /**
     * Slow path: every ordinary mailbox to {@code bcpu} is in flight, or senders wait for one.
     * Returns the reply mailbox (claimed) for a sender whose receiver waits for exactly it, when
     * it is free and no such sender waits; else {@code a} waits (or fails, timeout 0) and null.
     */
    private Mailbox waitForMailbox(Tcb a, Tcb b, int bcpu) {
        lockTcb(b);
        boolean moved = b.cpuAcquire() != bcpu;
        int waitFor = moved ? 0 : mem.loadAcquire(waitWord(b));
        unlockTcb(b);
        if (moved) {
            a.kernelResume = RESUME_RETRY_IPC; // B migrated (8.5): the IPC runs again at once
            a.state = ThreadState.READY;
            kcpu.readyList().enqueueHead(a);
            return null;
        }
        if (a.sysSendTimeout == Timeout.ZERO && !accepts(waitFor, a)) {
            ipc.fail(a, IpcError.TIMEOUT, IpcError.PHASE_SEND); // as on one CPU
            return null;
        }
        boolean forMe = waitFor == a.id.raw();
        if (forMe && waitHead[2 * bcpu + 1] == null) {
            Mailbox m = claimReply(bcpu);
            if (m != null) {
                return m;
            }
        }
        park(a, bcpu, forMe, false);
        return null;
    }

    /** Claims the reply mailbox to {@code dest} (its lock held), or null. */
    private Mailbox claimReply(int dest) {
        if (reservedSlot < 0) {
            return claim(dest);
        }
        Mailbox m = fabric.mailbox(index, dest, reservedSlot);
        return MailboxPool.tryClaim(mem, m.address) ? m : null;
    }

    /** {@code a} waits for a mailbox to {@code bcpu} (at the head of its FIFO: it was served once). */
    private void park(Tcb a, int bcpu, boolean forMe, boolean atHead) {
        counters.increment(cRetries);
        kcpu.touchTcb(a, Field.STATE, AccessKind.WRITE);
        a.state = ThreadState.POLLING;
        a.partner = null;
        a.kernelResume = RESUME_RETRY_IPC;
        a.mailboxWaitCpu = bcpu;
        a.mailboxWaitForReply = forMe;
        int q = 2 * bcpu + (forMe ? 1 : 0);
        if (atHead) {
            a.mailboxWaitPrev = null;
            a.mailboxWaitNext = waitHead[q];
            if (waitHead[q] == null) {
                waitTail[q] = a;
            } else {
                waitHead[q].mailboxWaitPrev = a;
            }
            waitHead[q] = a;
        } else {
            a.mailboxWaitNext = null;
            a.mailboxWaitPrev = waitTail[q];
            if (waitTail[q] == null) {
                waitHead[q] = a;
            } else {
                waitTail[q].mailboxWaitNext = a;
            }
            waitTail[q] = a;
        }
        waiters++;
        long timeout = a.sysSendTimeout;
        if (timeout != Timeout.NEVER && timeout != Timeout.ZERO && a.wakeupIndex < 0) {
            kcpu.touchTcb(a, Field.WAKEUP_LINKS, AccessKind.WRITE);
            kcpu.wakeups().add(a, kcpu.cpu().clock() + timeout);
        }
    }

    private void unlinkWaiter(Tcb w) {
        int q = 2 * w.mailboxWaitCpu + (w.mailboxWaitForReply ? 1 : 0);
        if (w.mailboxWaitPrev == null) {
            waitHead[q] = w.mailboxWaitNext;
        } else {
            w.mailboxWaitPrev.mailboxWaitNext = w.mailboxWaitNext;
        }
        if (w.mailboxWaitNext == null) {
            waitTail[q] = w.mailboxWaitPrev;
        } else {
            w.mailboxWaitNext.mailboxWaitPrev = w.mailboxWaitPrev;
        }
        w.mailboxWaitNext = null;
        w.mailboxWaitPrev = null;
        waiters--;
    }

    /**
     * Gives back mailbox {@code m} of this CPU (its source) at the end of its operation: to the
     * first sender waiting for a mailbox to {@code m.dest} whose receiver waits for it, else (an
     * ordinary mailbox) to the first other waiter, which becomes ready to run its IPC again with
     * it; else free. Owner CPU only; every release of a mailbox this CPU claimed goes through here.
     */
    public void release(Mailbox m) {
        Tcb w = waitHead[2 * m.dest + 1];
        if (w == null && m.slot != reservedSlot) {
            w = waitHead[2 * m.dest];
        }
        if (w == null) {
            MailboxPool.free(mem, m.address);
            return;
        }
        unlinkWaiter(w);
        w.mailboxHandoff = m;
        if (w.wakeupIndex >= 0) {
            // What is left of its send timeout goes with it (it counts from the send).
            w.sysSendTimeout = Math.max(1, w.wakeupTime - kcpu.cpu().clock());
            kcpu.wakeups().remove(w);
        }
        kcpu.makeReady(w); // RESUME_RETRY_IPC: the dispatcher runs its IPC again
    }

    /**
     * {@code t} stops waiting for a mailbox (its IPC is canceled or timed out, it migrates away,
     * it ends): it leaves its FIFO, or passes the mailbox it was handed to the next waiter. Its
     * {@link Tcb#kernelResume} is the caller's. Owner CPU only; no-op if {@code t} does not wait.
     */
    public void leaveMailboxWait(Tcb t) {
        if (t.mailboxWaitCpu < 0) {
            return;
        }
        Mailbox h = t.mailboxHandoff;
        if (h != null) {
            t.mailboxHandoff = null;
            t.mailboxWaitCpu = -1;
            release(h);
        } else {
            unlinkWaiter(t);
            t.mailboxWaitCpu = -1;
        }
    }

    /** Whether senders of this CPU wait for a mailbox. Owner CPU only. */
    public boolean hasMailboxWaiters() {
        return waiters > 0;
    }

    /**
     * The first sender of this CPU waiting for a mailbox to {@code dest} ({@code forReply}: whose
     * receiver waits for it), or null (diagnostics, invariants).
     */
    public Tcb firstMailboxWaiter(int dest, boolean forReply) {
        return waitHead[2 * dest + (forReply ? 1 : 0)];
    }

    /**
     * The sweep (timer tick, before idling): hands mailboxes that became free without a release
     * here (a migration request its consumer freed) to the waiters. Owner CPU only.
     */
    public void serveMailboxWaiters() {
        if (waiters == 0) {
            return;
        }
        for (int d = 0; d < fabric.cpus(); d++) {
            while (waitHead[2 * d + 1] != null || waitHead[2 * d] != null) {
                Mailbox m = claim(d);
                if (m == null && waitHead[2 * d + 1] != null) {
                    m = claimReply(d);
                }
                if (m == null) {
                    break;
                }
                MailboxPool.unlock(mem, m.address);
                release(m);
            }
        }
    }

    /**
     * Triggers {@code dest} for a flag just set (8.3.4): an IPI only when needed ({@code urgent})
     * and when {@code dest}'s next check is further away than the latency bound, and only if no
     * XCPU IPI to {@code dest} is still unacknowledged ("if not yet acknowledged"). The IPI is
     * sent after the kernel path released its locks ({@link #flushIpis}).
     */
    void trigger(int dest, boolean urgent) {
        if (!urgent) {
            counters.increment(cIpisSaved);
            return;
        }
        long next = fabric.nextCheckVolatile(dest);
        if (next != XcpuFabric.IDLE && next - kcpu.cpu().clock() <= maxLatency) {
            counters.increment(cIpisSaved);
            return;
        }
        if (!mem.casVolatile(fabric.ipiPendingWord(dest), 0, 1)) {
            counters.increment(cIpisSaved); // one is on its way: its handler will see our flag
            return;
        }
        ipiMask |= 1L << dest;
    }

    /** Sends the IPIs the kernel path decided on. Call with no lock held. */
    public void flushIpis() {
        long mask = ipiMask;
        if (mask == 0) {
            return;
        }
        ipiMask = 0;
        counters.add(cIpisSent, Long.bitCount(mask));
        kcpu.cpu().sendIpi(mask, Kernel.XCPU_VECTOR);
    }

    // =========================================================================================
    // check_n_ack (8.3.4)
    // =========================================================================================

    /** Publishes when this CPU checks its mailboxes next (its clock, or {@link XcpuFabric#IDLE}). */
    public void publishNextCheck(long when) {
        fabric.setNextCheckVolatile(index, when);
    }

    /**
     * The check at a kernel exit (and so after every timer tick): the caller published the
     * next check first (Dekker with the senders' flag-store, next-check-load). Returns the
     * number of mailboxes found.
     */
    public int checkAtExit() {
        java.lang.invoke.VarHandle.fullFence();
        return check(BY_POLL);
    }

    /** The XCPU IPI handler (8.3.4): EOI first (the caller did), then check_n_ack. */
    public void onIpi() {
        mem.storeRelease(fabric.ipiPendingWord(index), 0);
        check(BY_IPI);
    }

    /** check_n_ack from inside a kernel path of this CPU (an unwind proxy, 8.4.3). */
    void checkNow() {
        check(BY_POLL);
    }

    private int check(int mode) {
        checkMode = mode;
        long t0 = kcpu.cpu().clock();
        int n = FlagLine.checkAndAck(mem, flagLine, this);
        cycles[1] += kcpu.cpu().clock() - t0;
        return n;
    }

    @Override
    public void flagged(int bit) {
        Mailbox m = fabric.mailboxForBit(index, bit);
        counters.increment(checkMode == BY_IPI ? cByIpi : checkMode == BY_POLL ? cByPoll : cByReceive);
        if (bit < FlagLine.BITS / 2 && m.op == Mailbox.OP_MIGRATE) {
            // A migration part (8.7.2): the dispatcher runs it before it picks a thread.
            migrations[(migrationHead + migrationCount) % migrations.length] = m;
            migrationCount++;
            return;
        }
        if (bit < FlagLine.BITS / 2) {
            // A request: link mailbox to proxy, set proxy to running.
            Tcb p = m.proxy;
            m.proxyState = P_HOOKED;
            kcpu.touchTcb(p, Field.STATE, AccessKind.WRITE);
            p.state = ThreadState.READY;
            kcpu.readyList().enqueueTail(p);
            if (hookedCount < hooked.length) {
                hooked[hookedCount++] = p;
            }
        } else {
            // A reply (8.4.1): the sender is "the receiving proxy" of an empty operation.
            counters.increment(cReplies);
            if (m.op == Mailbox.OP_EXREGS_RETURN) {
                exregs.replied(m); // 8.4.3: an exchange-registers request answered
                return;
            }
            if (m.op == Mailbox.OP_UNWIND_RETURN) {
                exregs.unwindAnswered(m);
                return;
            }
            Tcb a = m.sender;
            if (exregs.sendReplyArrived(a, m)) {
                return; // an abort of a's send is in flight: the reply waits for its end
            }
            if (a == null || a.state == ThreadState.DEAD) {
                m.sender = null;
                release(m);
                return;
            }
            a.pendingReturn = m;
            a.kernelResume = RESUME_XP_RETURN;
            kcpu.makeReady(a);
        }
    }

    // =========================================================================================
    // The proxy (on the receiver's CPU)
    // =========================================================================================

    /** The dispatcher picked proxy {@code p}: it runs its operation (8.3.5 "xp send path"). */
    public void runProxy(Tcb p) {
        Mailbox m = p.xpMailbox;
        forgetHooked(p);
        if (m.proxyState != P_HOOKED) {
            p.state = ThreadState.WAITING; // a stale activation (8.4: harmless, checked here)
            return;
        }
        if (m.op != Mailbox.OP_SEND) {
            exregs.serve(m); // an exchange-registers request or an unwind (8.4.3)
            return;
        }
        long t0 = kcpu.cpu().clock();
        long copy0 = cycles[3];
        arrive(m);
        cycles[2] += kcpu.cpu().clock() - t0 - (cycles[3] - copy0);
    }

    void forgetHooked(Tcb p) {
        for (int i = 0; i < hookedCount; i++) {
            if (hooked[i] == p) {
                hooked[i] = hooked[--hookedCount];
                hooked[hookedCount] = null;
                return;
            }
        }
    }

    /** The proxy's first step: check the receiver; transmit, or queue the sender and poll. */
    private void arrive(Mailbox m) {
        Tcb p = m.proxy;
        Tcb a = m.sender;
        Tcb b = kernel.lookup(m.destId); // check again if the destination exists
        if (b == null) {
            wakeupSender(m, IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_SEND));
            return;
        }
        kcpu.touchTcb(b, Field.MYSELF, AccessKind.READ);
        kcpu.touchTcb(b, Field.CPU, AccessKind.READ);
        if (b.cpuAcquire() != index) {
            // The receiver left this CPU while the request was in flight (8.5, race 2): the
            // sender's CPU runs the IPC again, to where the receiver is now.
            wakeupSender(m, RETARGET);
            return;
        }
        m.receiver = b;
        kcpu.touchTcb(a, Field.PARTNER, AccessKind.WRITE); // fromTCB.partner = B (8.3.5)
        kcpu.touchTcb(b, Field.STATE, AccessKind.READ);
        boolean waits = b.state == ThreadState.WAITING && accepts(b.receiveFrom, a);
        if (a.fault != null) {
            // A redoes a long IPC that a fault in its space suspended (8.4.2): B must still wait for it.
            int dead = kernel.spaces().ipc().xpStaleTransfer(a, b, waits);
            if (dead != 0) {
                wakeupSender(m, dead);
                return;
            }
        }
        if (waits) {
            complete(m);
            return;
        }
        // The receiver will receive from A without further action of its own: it is in its
        // receive path now, or its call's send completed and its receive phase follows.
        boolean receivesSoon = (b == receiving && accepts(b.sysFrom, a)) || receivesAfterXpReturn(b, a);
        long deadline = receivesSoon ? Long.MAX_VALUE : m.deadline;
        if (deadline <= kcpu.cpu().clock()) {
            wakeupSender(m, IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND));
            return;
        }
        // Enqueue the sender (not the proxy) into B's send queue; the proxy polls.
        pollInSendQueue(m, a, b, p, deadline, false);
    }

    /**
     * The sender {@code a} waits in {@code b}'s send queue (at its tail, or at its head for a
     * redone send that resumes a transfer) while its proxy {@code p} polls until
     * {@code deadline} ({@code Long.MAX_VALUE}: no timeout). Owner CPU only.
     */
    private void pollInSendQueue(Mailbox m, Tcb a, Tcb b, Tcb p, long deadline, boolean atHead) {
        kcpu.touchTcb(b, Field.SEND_QUEUE, AccessKind.WRITE);
        kcpu.touchTcb(a, Field.SEND_LINKS, AccessKind.WRITE);
        if (atHead) {
            SendQueue.enqueueHead(b, a);
        } else {
            SendQueue.enqueue(b, a);
        }
        m.proxyState = P_POLLING;
        kcpu.touchTcb(p, Field.STATE, AccessKind.WRITE);
        p.state = ThreadState.POLLING;
        if (deadline != Long.MAX_VALUE) {
            kcpu.touchTcb(p, Field.WAKEUP_LINKS, AccessKind.WRITE);
            kcpu.wakeups().add(p, deadline);
        }
    }

    /**
     * Whether {@code b} (of this CPU) is about to receive from {@code sender} with no action of
     * its own: its cross-processor send completed on the receiver's CPU, whose proxy published
     * {@code b}'s receive specifier before it woke {@code b} ({@link #complete}), and {@code b}'s
     * receive phase follows at its XP RETURN, which has not run yet (8.4.1). Such a {@code b}
     * counts as receptive (design decision 6: as on one CPU, where a call's receive phase follows
     * its send atomically). Owner CPU only.
     */
    boolean receivesAfterXpReturn(Tcb b, Tcb sender) {
        return (b.state == ThreadState.LOCKED_WAITING || b.kernelResume == RESUME_XP_RETURN)
                && accepts(mem.loadAcquire(waitWord(b)), sender);
    }

    /**
     * The receive path of {@code b} found {@code a} (of another CPU) as its sender: reads
     * {@code a}'s proxy pointer once into a temporary (8.3.5) and, if that proxy is one of this
     * CPU's and polls to {@code b}, takes {@code a} out of {@code b}'s send queue and lets the
     * proxy transmit. Returns whether the message was received.
     */
    boolean activate(Tcb b, Tcb a) {
        long t0 = kcpu.cpu().clock();
        long copy0 = cycles[3];
        try {
            return activatePath(b, a);
        } finally {
            cycles[2] += kcpu.cpu().clock() - t0 - (cycles[3] - copy0);
        }
    }

    private boolean activatePath(Tcb b, Tcb a) {
        kcpu.touchTcb(a, Field.PROXY, AccessKind.READ);
        Tcb sendProxy = a.proxyAcquire();
        if (sendProxy == null) {
            return false; // not yet linked: the proxy will find B waiting (8.3.5)
        }
        Mailbox m = sendProxy.xpMailbox;
        if (m.dest != index) {
            return false; // A's proxy serves a send to another CPU's thread
        }
        kcpu.touchTcb(sendProxy, Field.STATE, AccessKind.READ);
        if (m.proxyState != P_POLLING || m.receiver != b || m.sender != a) {
            return false;
        }
        // sendproxy.state = locked running; dequeueWakeup(sendproxy); B.dequeueSend(A);
        // switchTo(sendproxy): the proxy transmits and wakes the sender.
        kcpu.touchTcb(b, Field.SEND_QUEUE, AccessKind.WRITE);
        kcpu.touchTcb(a, Field.SEND_LINKS, AccessKind.WRITE);
        IpcPath.dequeueSender(b, a);
        kcpu.wakeups().remove(sendProxy);
        kcpu.touchTcb(sendProxy, Field.STACK, AccessKind.READ);
        complete(m);
        return true;
    }

    /**
     * The proxy's transmit (B is ready to receive from A): the copy on this, the receiver's,
     * CPU (implementation decision 2), B's receive completed, A woken with its completion code.
     */
    private void complete(Mailbox m) {
        Tcb p = m.proxy;
        Tcb a = m.sender;
        Tcb b = m.receiver;
        m.proxyState = P_RUNNING;
        p.state = ThreadState.READY;
        int result;
        if (m.preCopied) {
            int words = MsgTag.untyped(m.tag) + MsgTag.typed(m.tag);
            System.arraycopy(m.staged, 1, b.mr, 1, words);
            result = 0;
        } else {
            long t0 = kcpu.cpu().clock();
            result = ipc.copyMessage(a, b, b.mr);
            cycles[3] += kcpu.cpu().clock() - t0;
            if (result == l4smp.kernel.space.SpaceIpc.FAULTED) {
                suspendTransfer(m);
                return;
            }
        }
        ipc.completeReceive(a, b, m.tag, result, true);
        counters.increment(cXp);
        if (result != 0) {
            wakeupSender(m, IpcError.word(IpcPath.senderCode(result), IpcError.PHASE_SEND));
            return;
        }
        if (!a.sysFrom.isNil()) {
            // A's receive phase follows its send atomically (a call): publish it now, before A
            // is woken, so B's reply sees A receptive (see "Transparency").
            ipc.markAwaited(a.sysFrom);
            mem.storeRelease(waitWord(a), a.sysFrom.raw());
        }
        wakeupSender(m, 0);
    }

    /**
     * The proxy's copy stopped at a page fault (8.4.2; SpaceIpc, "Cross-processor"): in the
     * receiver's space, the proxy polls again with A at the head of B's send queue until the
     * transfer deadline, while B resolves its fault; in the sender's space, A is asked to redo
     * the fault on its CPU and B waits for A's redone send.
     */
    private void suspendTransfer(Mailbox m) {
        Tcb a = m.sender;
        Tcb b = m.receiver;
        Tcb p = m.proxy;
        long deadline = kernel.spaces().ipc().xpSuspended(kcpu, a, b);
        if (deadline == l4smp.kernel.space.SpaceIpc.SENDER_FAULTED) {
            wakeupSender(m, REDO_FAULT);
            return;
        }
        unpublishWait(b); // B resolves its fault first: not receptive meanwhile
        pollInSendQueue(m, a, b, p, deadline, true);
    }

    /** wakeup sender (8.4.1): completion code, proxy pointer cleared, the mailbox as the reply. */
    void wakeupSender(Mailbox m, int code) {
        Tcb a = m.sender;
        Tcb p = m.proxy;
        kcpu.touchTcb(a, Field.XP_CC, AccessKind.WRITE);
        a.setXpCcRelease(code);
        kcpu.touchTcb(a, Field.PROXY, AccessKind.WRITE);
        a.setProxyRelease(null);
        m.completion = code;
        m.receiverProcessor = kernel.processorNumber(index); // 8.2 numbering
        m.op = Mailbox.OP_RETURN;
        mem.storeRelease(m.address + Mailbox.CODE, code);
        mem.storeRelease(m.address + Mailbox.OP, Mailbox.OP_RETURN);
        m.proxyState = P_IDLE;
        m.receiver = null;
        p.state = ThreadState.WAITING; // the proxy sleeps until check_n_ack hooks it again
        FlagLine.set(mem, fabric.flagLine(m.source), m.replyBit);
        trigger(m.source, true); // the sender waits for this: always worth the latency bound
    }

    /** The send deadline of a polling proxy expired (its wakeup queue entry fired). */
    void proxyTimeout(Tcb p) {
        Mailbox m = p.xpMailbox;
        if (m.proxyState != P_POLLING) {
            return;
        }
        int code = IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND);
        if (m.receiver != null) {
            IpcPath.dequeueSender(m.receiver, m.sender);
            if (m.sender.fault != null) {
                code = kernel.spaces().ipc().xpPollExpired(m.sender, m.receiver); // a suspended long IPC's deadline
            }
        }
        wakeupSender(m, code);
    }

    /** Receiver {@code dead} is gone while {@code a}'s proxy polls in its send queue. */
    void receiverGone(Tcb a) {
        endPolling(a, IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_SEND));
    }

    /**
     * The receiver migrates away while {@code a}'s proxy polls in its send queue (8.5, race 3):
     * the proxy answers "retarget"; {@code a}'s CPU runs the IPC again, to the new CPU.
     */
    void receiverLeft(Tcb a) {
        endPolling(a, RETARGET);
    }

    /**
     * Whether {@code a}'s proxy (of this CPU) polls in {@code b}'s send queue, {@code a}'s IPC
     * thus in this CPU's hands (a long IPC suspended by {@code b}'s page fault, 8.4.2).
     */
    public boolean proxyPollsFor(Tcb b, Tcb a) {
        Tcb p = a.proxyAcquire();
        if (p == null) {
            return false;
        }
        Mailbox m = p.xpMailbox;
        return m.dest == index && m.proxyState == P_POLLING && m.receiver == b && m.sender == a;
    }

    /**
     * Ends the polling of {@code a}'s proxy in {@code b}'s send queue with {@code code} (the
     * receiver's fault IPC failed, 8.4.2). Only when {@link #proxyPollsFor}.
     */
    public void abortPolling(Tcb b, Tcb a, int code) {
        if (!proxyPollsFor(b, a)) {
            return;
        }
        IpcPath.dequeueSender(b, a);
        Tcb p = a.proxyAcquire();
        kcpu.wakeups().remove(p);
        wakeupSender(p.xpMailbox, code);
    }

    private void endPolling(Tcb a, int code) {
        Tcb p = a.proxyAcquire();
        if (p == null || p.xpMailbox.dest != index || p.xpMailbox.proxyState != P_POLLING) {
            return;
        }
        kcpu.wakeups().remove(p);
        wakeupSender(p.xpMailbox, code);
    }

    // =========================================================================================
    // Migration requests (8.7.2: the mailboxes carry parts B and C)
    // =========================================================================================

    /** Claims a free mailbox to {@code dest} for a migration request, or null (all in flight). */
    public Mailbox claimForMigration(int dest) {
        Mailbox m = claim(dest);
        if (m != null) {
            MailboxPool.unlock(mem, m.address);
        }
        return m;
    }

    /** Gives back a mailbox claimed but not used. */
    public void releaseUnused(Mailbox m) {
        release(m);
    }

    /**
     * Sends migration operation {@code op} (sequence {@code seq}) through the claimed mailbox
     * {@code m}: fill, flag, IPI by the latency rule (sent at once: the initiator waits next).
     */
    public void postMigration(Mailbox m, Object op, int seq) {
        m.migration = op;
        m.migrationSeq = seq;
        m.sender = null;
        m.op = Mailbox.OP_MIGRATE;
        mem.storeRelease(m.address + Mailbox.OP, Mailbox.OP_MIGRATE);
        FlagLine.set(mem, fabric.flagLine(m.dest), m.requestBit);
        trigger(m.dest, true);
        flushIpis();
    }

    /**
     * Part B of a migration (8.7.2, owner CPU of {@code t}): sets {@code t}'s processor number to
     * {@code cpu} under {@code t}'s TCB lock, so that a sender's XP send path that read the old
     * number either sees the new one under the lock or flags its request before the move (8.5,
     * race 2; see {@link #sendPath}). This CPU checks its mailboxes at its next kernel exit or
     * before it idles, and the proxy of such a request answers RETARGET.
     */
    public void moveUnderTcbLock(Tcb t, int cpu) {
        lockTcb(t);
        t.setCpuRelease(cpu);
        unlockTcb(t);
    }

    /** Runs check_n_ack now (a CPU spinning in the kernel); returns whether migrations wait. */
    public boolean checkForMigrations() {
        check(BY_POLL);
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

    // =========================================================================================
    // The receiver's side and the sender's return
    // =========================================================================================

    /**
     * Start of a receive phase of {@code t} (this CPU): take its TCB lock and run check_n_ack,
     * then the proxies it hooked (they queue their senders in the send queues), so that the
     * decision of the receive path sees every request that has arrived.
     */
    void beginReceive(Tcb t) {
        lockTcb(t);
        receiving = t;
        check(BY_RECEIVE);
        while (hookedCount > 0) {
            Tcb p = hooked[--hookedCount];
            hooked[hookedCount] = null;
            if (p.xpMailbox.proxyState == P_HOOKED && p.xpMailbox.op == Mailbox.OP_SEND) {
                kcpu.readyList().remove(p);
                arrive(p.xpMailbox);
            }
        }
    }

    /** End of the receive phase of {@code t}: publish its wait (if it waits) and unlock. */
    void endReceive(Tcb t) {
        receiving = null;
        if (t.state == ThreadState.WAITING) {
            kcpu.touchTcb(t, Field.WAIT_FOR, AccessKind.WRITE);
            mem.storeRelease(waitWord(t), t.receiveFrom.raw());
            t.waitPublished = true;
            ThreadId from = t.receiveFrom;
            if (!from.isNil() && !from.isAny()) {
                Tcb partner = kernel.lookup(from);
                if (partner == null) {
                    kcpu.requestPartnerGoneCheck(); // failed at the next dispatch, on this CPU
                } else if (partner.cpuAcquire() != index) {
                    // Dekker with a partner's end on another CPU (see Kernel.notifyRemoteWaiters):
                    // the wait word is published before we look again whether the partner still
                    // exists. A partner on this CPU cannot end meanwhile (its end runs here), and
                    // should it migrate and end elsewhere later, its CPU reads our wait word after
                    // the migration's barriers: no fence on the local path.
                    java.lang.invoke.VarHandle.fullFence();
                    if (kernel.lookup(from) == null) {
                        kcpu.requestPartnerGoneCheck();
                    }
                }
            }
        }
        unlockTcb(t);
    }

    /**
     * The receive specifier {@code t} has published (a raw thread id; 0 when it does not wait),
     * read by another CPU's kernel without a charge (the partner-gone check). Any thread.
     */
    public int publishedWaitFor(Tcb t) {
        return kcpu.cpu().machine().physicalMemory().intAcquire(waitWord(t));
    }

    /** {@code t} no longer waits: withdraw its published receive specifier. */
    void unpublishWait(Tcb t) {
        if (t.waitPublished) {
            t.waitPublished = false;
            mem.storeRelease(waitWord(t), 0);
        }
    }

    /**
     * The dispatcher picked {@code t} with a kernel path to finish ({@link Tcb#kernelResume}):
     * XP RETURN (8.4.1: free the mailbox, then the rest of the IPC), or a retried IPC.
     */
    public void resume(Tcb t) {
        long t0 = kcpu.cpu().clock();
        resumePath(t);
        if (t.kernelResume == RESUME_NONE) {
            cycles[4] += kcpu.cpu().clock() - t0;
        }
    }

    private void resumePath(Tcb t) {
        int what = t.kernelResume;
        t.kernelResume = RESUME_NONE;
        if (what == RESUME_RETRY_IPC) {
            ipc.ipc(t);
            return;
        }
        if (what == XpExchangeRegisters.RESUME_RETRY_EXREGS || what == XpExchangeRegisters.RESUME_EXREGS_RETURN) {
            exregs.resume(t, what);
            return;
        }
        Mailbox m = t.pendingReturn;
        t.pendingReturn = null;
        kcpu.touchTcb(t, Field.XP_CC, AccessKind.READ);
        kcpu.touchTcb(t, Field.MAILBOX_PTRS, AccessKind.WRITE);
        int code = t.xpCcAcquire();
        int processor = m.receiverProcessor;
        long deadline = m.deadline;
        m.sender = null;
        release(m); // free and release the mailboxes of the sender's list (or hand on to a waiter)
        if (code == REDO_FAULT) {
            // 8.4.2: the proxy's copy faulted in t's space: t redoes the fault here, then its send.
            kcpu.touchTcb(t, Field.STATE, AccessKind.WRITE);
            t.state = ThreadState.READY;
            t.waitPublished = false;
            kernel.spaces().ipc().xpRedoSenderFault(kcpu, t);
            return;
        }
        if (code == RETARGET) {
            // The receiver migrated before the request was served (8.5): the IPC runs again,
            // with what is left of its send timeout (the deadline the mailbox carried).
            keepRemainingSendTimeout(t, deadline);
            kcpu.touchTcb(t, Field.STATE, AccessKind.WRITE);
            t.state = ThreadState.READY;
            t.waitPublished = false;
            ipc.ipc(t);
            return;
        }
        ipc.xpSendReturned(t, code, processor);
    }

    /**
     * A send that runs again (retargeted, 8.5) keeps what is left of its send timeout, the
     * absolute {@code deadline} of its first attempt (8.7.3 keeps a waiting thread's timeout the
     * same way); a deadline already reached leaves timeout 0.
     */
    private void keepRemainingSendTimeout(Tcb a, long deadline) {
        if (deadline != Long.MAX_VALUE) {
            a.sysSendTimeout = Math.max(Timeout.ZERO, deadline - kcpu.cpu().clock());
        }
    }

    private void warn(Tcb t, String message) {
        if (t != null && kernel.firstWarning(t)) {
            LOG.warn("{}", message);
        }
    }
}
