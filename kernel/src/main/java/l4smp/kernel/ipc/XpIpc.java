package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.SpinLock;
import l4smp.kernel.xcpu.XcpuFabric;
import l4smp.kernel.xcpu.XpSendHandshake;

/**
 * Cross-processor IPC on one CPU (thesis 8.3.3 - 8.4): the state its paths share (the TCB lock
 * and WAIT_FOR words, the trigger and its IPIs, the counters) and the entry points the local IPC
 * path, the dispatcher and the space layer call. The paths themselves are {@link XpSendPath}
 * (the sender's CPU), {@link XpMailboxCheck} ({@code check_n_ack} and the receiver's side) and
 * {@link XpProxy} (the receiver's CPU); exchange-registers across processors is
 * {@link XpExchangeRegisters}.
 *
 * <h2>The paths</h2>
 * <pre>
 *   XP send (on the sender's CPU a, A -> B on b; 8.3.5 "send path"):
 *     detection: send tag bit 12 set -> error 7 (aborted), offset 0, B's processor in the UTCB
 *     find a free mailbox a->b, lock it, fill it (A, B, tag, deadline; the virtual sender of a
 *       propagating send, X.2), unlock it
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
 *     space, the reply is {@link XpCompletion#REDO_FAULT}: A redoes the fault on a, then its send
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
 * makes the sender retry later, without the lock; the TLB shootdown of a map item that a proxy
 * installs under the receiver's lock completes after the lock is released, and the proxy's
 * reply waits for it, see XpMailboxCheck), so interrupts stay off while spinning for one, and
 * neither a busy LINT slot nor a missing shootdown acknowledgement can join a lock into a
 * deadlock (8.3.3, D8).
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
public final class XpIpc {

    /** Proxy states (the proxy's own, on its CPU). */
    static final int P_IDLE = 0;
    static final int P_HOOKED = 1;
    static final int P_POLLING = 2;
    static final int P_RUNNING = 3;

    /** The priority of proxy threads: above every user thread of priority < 255. */
    public static final int PROXY_PRIORITY = 255;

    final Kernel kernel;
    final KernelCpuPort kcpu;
    final IpcPath ipc;
    final XcpuFabric fabric;
    final CpuXcpuMemory mem;
    private final TcbLayout layout;
    final int index;
    private final long maxLatency;
    final boolean copyOnSender;
    final boolean tcbLock;
    /** Whether the machine charges memory accesses (the next-check word's accesses are charged then). */
    final boolean accounting;
    /** IPIs to send once the kernel path has released its locks (bit i: CPU i). */
    private long ipiMask;

    /**
     * Simulated cycles by part of the XP path on this CPU (owner writes; read after the machine
     * stopped): [0] send path (mailbox claim, fill, TCB lock, flag), [1] check_n_ack, [2] proxy
     * (arrive and activation, without the copy), [3] copy, [4] XP return.
     */
    final long[] cycles = new long[5];

    SingleWriterCounters counters;
    int cXp;
    int cByPoll;
    int cByIpi;
    int cByReceive;
    int cIpisSent;
    int cIpisSaved;
    int cAborts;
    int cRetries;
    int cReplies;

    private final XpExchangeRegisters exregs;
    private final XpSendPath sendPath;
    private final XpMailboxCheck check;
    private final XpProxy proxy;
    private final XpMailboxWait mailboxWait;
    /** The reply mailbox of each pair (its last slot; see {@link XpMailboxWait}), or -1. */
    final int reservedSlot;
    /** Where check_n_ack hands the migration requests it finds (8.7.2); null without migration. */
    private MigrationSink migrationSink;

    /** Takes the migration requests that check_n_ack finds (8.7.2 parts B and C). Owner CPU only. */
    public interface MigrationSink {
        /** A migration request arrived in mailbox {@code m}. */
        void arrived(Mailbox m);
    }

    public XpIpc(Kernel kernel, KernelCpuPort kcpu, IpcPath ipc, XcpuFabric fabric, TcbLayout layout,
                 long maxLatency, boolean copyOnSender, boolean tcbLock) {
        this.kernel = kernel;
        this.kcpu = kcpu;
        this.ipc = ipc;
        this.fabric = fabric;
        this.mem = new CpuXcpuMemory(kcpu.cpu());
        this.layout = layout;
        this.index = kcpu.index();
        this.maxLatency = maxLatency;
        this.copyOnSender = copyOnSender;
        this.tcbLock = tcbLock;
        this.accounting = kcpu.cpu().machine().memorySystem() != null;
        this.reservedSlot = fabric.perPair() >= 2 ? fabric.perPair() - 1 : -1;
        this.mailboxWait = new XpMailboxWait(this);
        this.exregs = new XpExchangeRegisters(kernel, kcpu, this, ipc, fabric);
        this.sendPath = new XpSendPath(this);
        this.check = new XpMailboxCheck(this);
        this.proxy = new XpProxy(this);
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

    /** Sets where migration requests go (the CPU's migration, at construction). */
    public void setMigrationSink(MigrationSink sink) {
        this.migrationSink = sink;
    }

    void migrationArrived(Mailbox m) {
        migrationSink.arrived(m);
    }

    /** The simulated-memory view of this CPU for the XCPU words (owner CPU only). */
    public CpuXcpuMemory memory() {
        return mem;
    }

    /** Cycle breakdown (see {@link #cycles}); read when the machine has stopped. */
    public long[] cyclesAfterRun() {
        return cycles.clone();
    }

    /** check_n_ack runs on this CPU (owner writes; read after the machine stopped). */
    long checks;

    /** How many check_n_ack ran on this CPU; read when the machine has stopped. */
    public long checksAfterRun() {
        return checks;
    }

    /** Adds the cycles of a resumed kernel path (XP RETURN, a retried operation). Owner CPU only. */
    public void addReturnCycles(long c) {
        cycles[4] += c;
    }

    /** Exchange-registers across processors on this CPU (8.4.3). */
    public XpExchangeRegisters exchangeRegisters() {
        return exregs;
    }

    /** The XP send path and XP RETURN of this CPU. */
    public XpSendPath sendPath() {
        return sendPath;
    }

    /** The mailbox check of this CPU. */
    public XpMailboxCheck check() {
        return check;
    }

    /** The proxies of this CPU. */
    public XpProxy proxy() {
        return proxy;
    }

    /** The senders of this CPU waiting for a free mailbox, and the release of its mailboxes. */
    public XpMailboxWait mailboxWait() {
        return mailboxWait;
    }

    // =========================================================================================
    // The global TCB words (8.6 line 4): the TCB lock (8.3.3) and WAIT_FOR
    // =========================================================================================


    long lockWord(Tcb t) {
        return t.kernelAddress() + layout.offset(Field.LOCK);
    }


    long waitWord(Tcb t) {
        return t.kernelAddress() + layout.offset(Field.WAIT_FOR);
    }


    public void lockTcb(Tcb t) {
        if (tcbLock) {
            SpinLock.lock(mem, lockWord(t));
        }
    }


    public void unlockTcb(Tcb t) {
        if (tcbLock) {
            SpinLock.unlock(mem, lockWord(t));
        }
    }


    /** Whether a published WAIT_FOR word accepts a message from {@code sender}. */
    static boolean accepts(int waitFor, Tcb sender) {
        return waitFor == -1 || (waitFor != 0 && waitFor == sender.id.raw());
    }


    static boolean accepts(ThreadId from, Tcb sender) {
        return from.isAny() || from.equals(sender.id);
    }

    /**
     * Whether a published WAIT_FOR word accepts a message of {@code sender} that propagates on
     * behalf of {@code vs} (null: an ordinary send): Pistachio sys_ipc accepts a receiver that
     * waits for any, for the virtual sender or for the actual sender (see {@link Propagation}).
     */
    static boolean accepts(int waitFor, Tcb sender, Tcb vs) {
        return accepts(waitFor, sender) || (vs != null && waitFor == vs.id.raw());
    }

    /** As {@link #accepts(int, Tcb, Tcb)}, for the receive specifier of a thread of this CPU. */
    static boolean accepts(ThreadId from, Tcb sender, Tcb vs) {
        return accepts(from, sender) || (vs != null && from.equals(vs.id));
    }


    /**
     * Finds a free mailbox to {@code dest}, but not the reply mailbox (see {@link XpMailboxWait}),
     * and claims it (its lock held), or null.
     */
    public Mailbox claim(int dest) {
        int per = reservedSlot < 0 ? fabric.perPair() : reservedSlot;
        for (int i = 0; i < per; i++) {
            Mailbox m = fabric.mailbox(index, dest, i);
            if (MailboxPool.tryClaim(mem, m.address)) {
                return m;
            }
        }
        return null;
    }


    /**
     * Triggers {@code dest} for a flag just set (8.3.4): an IPI only when needed ({@code urgent})
     * and when {@code dest}'s next check is further away than the latency bound, and only if no
     * XCPU IPI to {@code dest} is still unacknowledged ("if not yet acknowledged"). The IPI is
     * sent after the kernel path released its locks ({@link #flushIpis}).
     */
    public void trigger(int dest, boolean urgent) {
        long next = XcpuFabric.IDLE;
        if (urgent) {
            // dest's published next check (XcpuFabric, "The next-check word"), a host word, read
            // at this CPU's interleaving point (parallel mode: an order point), before the read's
            // charge moves the clock on: it sees exactly dest's publishes before this cycle, as
            // under the stepper, where no other CPU runs between the yield and the read (partner:
            // the order point in XpMailboxCheck.publishNextCheck). The charge follows without a
            // second stepper yield (touchOwn: its order point is the one just passed).
            Cpu cpu = kcpu.cpu();
            if (accounting) {
                cpu.interleave();
            } else {
                cpu.orderPoint();
            }
            next = fabric.nextCheckVolatile(dest);
            if (accounting) {
                cpu.touchOwn(fabric.nextCheckLine(dest), AccessKind.READ);
            }
        }
        if (XpSendHandshake.ipiNeeded(mem, fabric, dest, next, kcpu.cpu().clock(), maxLatency, urgent)) {
            ipiMask |= 1L << dest;
        } else {
            counters.increment(cIpisSaved); // no IPI needed, or one is on its way: its handler sees our flag
        }
    }

    /** The address of {@code t}'s TCB lock word (8.3.3). */
    public long lockWordOf(Tcb t) {
        return lockWord(t);
    }

    /** Whether this kernel takes the TCB lock (false only in the lock's negative-control tests). */
    public boolean tcbLocking() {
        return tcbLock;
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


    /**
     * The receive specifier {@code t} has published (a raw thread id; 0 when it does not wait),
     * read by another CPU's kernel without a charge (the partner-gone check). Any thread.
     */
    public int publishedWaitFor(Tcb t) {
        return kcpu.cpu().machine().physicalMemory().intAcquire(waitWord(t));
    }


    /**
     * {@code t} (of this CPU) keeps waiting, now for {@code waitFor} (a raw thread id): its
     * published receive specifier changes under its TCB lock, with the receive path's steps
     * (thesis 8.3.3; partner: {@link XpSendHandshake#lockOnCpu} of a sender of another CPU;
     * jcstress: {@code RedirectedWaitStress}).
     */
    void republishWait(Tcb t, int waitFor) {
        XpSendHandshake.republishWaitFor(mem, lockWord(t), waitWord(t), waitFor, tcbLock);
    }

    /**
     * {@code t} (of any CPU) waits in a closed receive from {@code from}: it now waits for
     * {@code to} (X.2 propagation, see {@link Propagation}). Under {@code t}'s TCB lock, by a
     * compare-and-set of its published WAIT_FOR word (thesis 8.3.3; partners:
     * {@link XpSendHandshake#lockOnCpu} of a sender, {@link #unpublishWait} of {@code t}'s CPU;
     * jcstress: {@code RemoteRedirectStress}). Returns whether {@code t}'s wait was redirected.
     */
    boolean redirectWait(Tcb t, ThreadId from, ThreadId to) {
        return XpSendHandshake.redirectWaitFor(mem, lockWord(t), waitWord(t), t, from.raw(), to.raw(), tcbLock, true);
    }

    /** {@code t} no longer waits: withdraw its published receive specifier. */
    void unpublishWait(Tcb t) {
        if (t.waitPublished()) {
            t.setWaitPublished(false);
            XpSendHandshake.withdrawWaitFor(mem, waitWord(t)); // partner: redirectWait of another CPU
        }
    }

}
