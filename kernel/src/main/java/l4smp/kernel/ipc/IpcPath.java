package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.Syscall;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IPC system call on one CPU: the uniprocessor send, receive and transmit paths of thesis
 * section 8.3.2, for partners on the same CPU.
 *
 * <h2>The paths (8.3.2)</h2>
 * <pre>
 *   send:    check the target (myself == dest), partner = B;
 *            if B waits for us (open, or closed on us): transmit, B becomes ready;
 *            else: send timeout 0 -> timeout error; otherwise enqueue ourselves in B's send
 *                  queue, state polling (inactively), wakeup queue with the send timeout,
 *                  switch to B. B's receive path resumes us.
 *   receive: find the sender (closed: the named thread, if it polls to us; open: the head of
 *            our send queue); if found: dequeue it (send queue, wakeup queue), transmit, and
 *            continue the sender with its own receive phase (a call waits for the reply);
 *            else: receive timeout 0 -> timeout error; otherwise state waiting, wakeup queue
 *            with the receive timeout.
 * </pre>
 * Partners on different CPUs go through {@link XpIpc} (8.3.3 - 8.4): the send phase to a
 * thread of another CPU hands over to a proxy there; a receive phase first takes the
 * receiver's TCB lock and checks the XCPU mailboxes, and activates the proxy of a sender of
 * another CPU that it finds.
 *
 * <p>The kernel runs on the CPU's duty cycle, not on a per-thread kernel stack, so a blocked
 * thread's remaining phases are its TCB's system-call fields: whoever completes its send phase
 * (the receiver's path) runs its receive phase next, as the sender's own stack would.
 * Which of the two copies the message is symmetric on one CPU (8.3.2, transmit path).
 *
 * <p>Owner CPU only. Allocation-free.
 */
public final class IpcPath {

    final IpcEnds ipcEnds = new IpcEnds(this);

    final TransmitPath transmitPath = new TransmitPath(this);

    final Propagation propagation = new Propagation(this);

    /**
     * Whether new kernels take the IPC fast path ({@link IpcFastPath}); {@code
     * -Dl4smp.ipcFastPath=false} sends every IPC through the general path (the fast path's
     * differential test and host-speed comparisons). Read when a CPU's IPC path is built.
     */
    public static final String FAST_PATH_PROPERTY = "l4smp.ipcFastPath";

    /** The fast path, or null when {@link #FAST_PATH_PROPERTY} turned it off for this kernel. */
    private final IpcFastPath fast;

    static final Logger LOG = LoggerFactory.getLogger(IpcPath.class);

    final Kernel kernel;
    final KernelCpuPort kcpu;
    SingleWriterCounters counters;
    int cIpc;
    int cErrors;
    int cIrqDelivered;
    int cIrqQueued;
    int cMapItems;
    /** One line of a string copy in flight (owner CPU only). */
    final byte[] copyBuffer = new byte[256];
    /** The string-item walk of this CPU's transfers (owner CPU only). */
    final StringTransfer strings = new StringTransfer();
    /** The cross-processor paths; {@code null} on a one-CPU machine. */
    XpIpc xp;

    public IpcPath(Kernel kernel, KernelCpuPort kcpu) {
        this.kernel = kernel;
        this.kcpu = kcpu;
        this.fast = Boolean.parseBoolean(System.getProperty(FAST_PATH_PROPERTY, "true")) ? new IpcFastPath(this) : null;
    }

    /** The string-item walk of this CPU (owner CPU only): the bytes of its last transfer. */
    public StringTransfer strings() {
        return strings;
    }

    /** Installs the cross-processor paths (boot, machines with more than one CPU). */
    public void setXp(XpIpc xp) {
        this.xp = xp;
    }

    /** The cross-processor paths, or {@code null} on a one-CPU machine. */
    public XpIpc xp() {
        return xp;
    }

    /**
     * Whether the cross-processor paths are installed (false on a one-CPU machine). The
     * dispatcher's per-thread-run checks ask this rather than {@link #xp()}: a method whose
     * signature names a class that was never loaded (XpIpc, on a one-CPU machine) is not inlined
     * by C2, and a call per check is host time on every local round trip.
     */
    public boolean hasXp() {
        return xp != null;
    }

    /** Binds the counters (at CPU start). */
    public void onStart(SingleWriterCounters counters) {
        if (xp != null) {
            xp.onStart(counters);
        }
        this.counters = counters;
        cIpc = counters.names().indexOf(Kernel.C_IPC_LOCAL);
        cErrors = counters.names().indexOf(Kernel.C_IPC_ERRORS);
        cIrqDelivered = counters.names().indexOf(Kernel.C_IRQ_DELIVERED);
        cIrqQueued = counters.names().indexOf(Kernel.C_IRQ_QUEUED);
        cMapItems = counters.names().indexOf(Kernel.C_MAP_ITEMS);
    }

    /**
     * The IPC system call of {@code t} (the invoker, just trapped) through the fast path, if it
     * applies ({@link IpcFastPath}: a one-CPU kernel, a call or reply-and-wait to a partner
     * waiting for it): returns true when done -- the partner then is {@code t}'s
     * {@link Tcb#partner()}, made ready but {@link KernelCpuPort#handOffCharged handed off}
     * outside the ready list, which the dispatcher must run or enter there (with the switch hint
     * that {@link #continueInvoker} would leave) before it reads its ready list -- and false when
     * the general path ({@link #ipc}) must run it. Only the dispatcher, at the trap.
     */
    public boolean fastPath(Tcb t) {
        return fast != null && xp == null && fast.ipc(t);
    }

    /**
     * How many IPCs of this CPU the fast path completed (0 with the fast path off). Owner CPU
     * only, or after the machine stopped.
     */
    public long fastPathsTaken() {
        return fast == null ? 0 : fast.taken;
    }

    /** The IPC system call of {@code t} (the invoker, just trapped). */
    public void ipc(Tcb t) {
        t.setErrorCode(0);
        t.setResultTag(0);
        t.setResultFrom(ThreadId.NIL);
        if (!t.sysTo().isNil()) {
            if (!sendPhase(t)) {
                continueInvoker(t);
                return;
            }
        }
        if (t.state() == ThreadState.READY) {
            receivePhase(t);
        }
        continueInvoker(t);
    }

    /**
     * The send phase of {@code t}. Returns true when it completed (the message is delivered)
     * and false when it failed or {@code t} now polls.
     */
    boolean sendPhase(Tcb t) {
        t.setSysVirtualSender(null); // decided anew by every send phase (Propagation.accept)
        Tcb dest = kernel.lookup(t.sysTo());
        if (dest == null || dest == t) {
            fail(t, IpcError.NO_PARTNER, IpcError.PHASE_SEND);
            return false;
        }
        // 8.3.2: check myself == dest, read the target's processor.
        kcpu.touchTcb(dest, Field.MYSELF, AccessKind.READ);
        kcpu.touchTcb(dest, Field.CPU, AccessKind.READ);
        if (dest.hardwareLine() < 0 && kernel.config().abi().propagates(t.sysTag())) {
            propagation.accept(t, dest); // X.2 propagation: the virtual sender, if permitted
        }
        if (dest.cpuAcquire() != kcpu.index()) {
            if (xp == null || dest.hardwareLine() >= 0) {
                unreachablePartner(t, dest, IpcError.PHASE_SEND);
                return false;
            }
            return xp.sendPath().send(t, dest); // 8.3.5: the XP send path
        }
        if (dest.hardwareLine() >= 0) {
            return acknowledgeInterrupt(t, dest);
        }
        kcpu.writePartner(t, dest);
        kcpu.touchTcb(dest, Field.STATE, AccessKind.READ);
        propagation.adoptRedirectedWait(dest);
        if (dest.state() == ThreadState.WAITING && XpIpc.accepts(dest.receiveFrom(), t, t.sysVirtualSender())) {
            Transfer result = transmitPath.transmit(t, dest);
            if (result.faulted()) {
                kernel.spaces().ipc().suspended(kcpu, t, dest, true);
                return false;
            }
            if (!result.done()) {
                failTransfer(t, dest, t.sysTag(), result.senderCode(), IpcError.PHASE_SEND, strings.bytes(), false);
                return false;
            }
            return true;
        }
        // 8.5, race 3 closed for a receiver that migrated to its sender's CPU: dest may be a
        // caller whose cross-processor send completed (its partner's proxy published dest's
        // receive in WAIT_FOR) while its XP RETURN has not run here yet -- the partner, now the
        // sender t, came here by a migration and replies. dest's receive phase follows without
        // any action of its own, so dest counts as receptive exactly as on the XP path
        // (XpIpc.arrive): t polls in dest's send queue with no timeout, and dest's receive phase
        // at its XP RETURN takes it. (Failing with "timeout" here lost the reply of a send
        // timeout 0 replyWait, and its caller waited forever.)
        boolean receivesSoon = xp != null && xp.proxy().receivesAfterXpReturn(dest, t, t.sysVirtualSender());
        if (t.sysSendTimeout() == Timeout.ZERO && !receivesSoon) {
            fail(t, IpcError.TIMEOUT, IpcError.PHASE_SEND);
            return false;
        }
        kcpu.writeState(t, ThreadState.POLLING);
        kcpu.touchTcb(dest, Field.SEND_QUEUE, AccessKind.WRITE);
        kcpu.touchTcb(t, Field.SEND_LINKS, AccessKind.WRITE);
        enqueueSender(dest, t);
        if (t.sysSendTimeout() != Timeout.NEVER && !receivesSoon) {
            kcpu.touchTcb(t, Field.TIMEOUT, AccessKind.WRITE);
            kcpu.touchTcb(t, Field.WAKEUP_LINKS, AccessKind.WRITE);
            kcpu.addWakeup(t, Timeout.deadline(kcpu.cpu().clock(), t.sysSendTimeout()));
        }
        return false;
    }

    /**
     * The receive phase of {@code t}: completes at once with a polling sender, or leaves
     * {@code t} waiting. {@code t} is READY on entry.
     */
    void receivePhase(Tcb t) {
        ThreadId from = t.sysFrom();
        if (from.isNil()) {
            return; // send only: done
        }
        if (xp == null) {
            receiveDecision(t, from);
            return;
        }
        xp.check().beginReceive(t); // the TCB lock, check_n_ack, arrived proxies (8.3.3, 8.3.4)
        try {
            receiveDecision(t, t.sysFrom()); // a propagation may have redirected a call's receive (beginReceive)
        } finally {
            xp.check().endReceive(t);
        }
    }

    void receiveDecision(Tcb t, ThreadId from) {
        Tcb sender;
        if (from.isAny()) {
            kcpu.touchTcb(t, Field.SEND_QUEUE, AccessKind.READ);
            sender = t.sendQueueHead();
        } else {
            Tcb s = kernel.lookup(from);
            if (s == null) {
                fail(t, IpcError.NO_PARTNER, IpcError.PHASE_RECEIVE);
                return;
            }
            kcpu.touchTcb(s, Field.MYSELF, AccessKind.READ);
            kcpu.touchTcb(s, Field.CPU, AccessKind.READ);
            if (s.cpuAcquire() != kcpu.index()) {
                if (xp == null) {
                    unreachablePartner(t, s, IpcError.PHASE_RECEIVE);
                    return;
                }
                // 8.3.5 receive path: the sender of another CPU sends through its proxy.
                if (!xp.proxy().activate(t, s)) {
                    block(t, from);
                }
                return;
            }
            kcpu.touchTcb(s, Field.STATE, AccessKind.READ);
            kcpu.touchTcb(s, Field.PARTNER, AccessKind.READ);
            sender = s.state() == ThreadState.POLLING && s.partner() == t ? s : null;
        }
        if (sender != null && xp != null && sender.cpuAcquire() != kcpu.index()) {
            // The head of our send queue is a sender of another CPU: its proxy polls here.
            if (!xp.proxy().activate(t, sender)) {
                throw new IllegalStateException(sender + " is in the send queue of " + t + " without a polling proxy");
            }
            return;
        }
        if (sender != null) {
            kcpu.touchTcb(sender, Field.SEND_LINKS, AccessKind.WRITE);
            kcpu.touchTcb(t, Field.SEND_QUEUE, AccessKind.WRITE);
            dequeueSender(t, sender);
            kcpu.removeWakeup(sender);
            sender.setState(ThreadState.READY);
            Transfer result = transmitPath.transmit(sender, t);
            if (result.faulted()) {
                kernel.spaces().ipc().suspended(kcpu, sender, t, false);
                return;
            }
            if (sender.hardwareLine() >= 0) {
                sender.setState(ThreadState.WAITING); // an interrupt thread only ever "sends"
                return;
            }
            if (!result.done()) {
                failTransfer(sender, t, sender.sysTag(), result.senderCode(), IpcError.PHASE_SEND, strings.bytes(), false);
                kcpu.makeReady(sender);
                return;
            }
            // The sender's send phase is complete: run its receive phase, as its own kernel
            // stack would (a call now waits for the reply).
            receivePhase(sender);
            if (sender.state() == ThreadState.READY) {
                kcpu.enqueueReadyTail(sender);
            }
            return;
        }
        block(t, from);
    }

    /**
     * {@code t} (of this CPU) waits: its receive specifier becomes the one another CPU's
     * propagation redirected it to, if any ({@link Propagation}). Owner CPU only.
     */
    public void adoptRedirectedWait(Tcb t) {
        propagation.adoptRedirectedWait(t);
    }

    /** A closed receive from {@code from} is about to wait: {@code from}'s end must look for it. */
    public void markAwaited(ThreadId from) {
        if (!from.isNil() && !from.isAny()) {
            Tcb partner = kernel.lookup(from);
            if (partner != null) {
                partner.markAwaitedVolatile();
            }
        }
    }

    /** No sender is ready: {@code t} waits (or fails at once with receive timeout 0). */
    void block(Tcb t, ThreadId from) {
        if (t.sysReceiveTimeout() == Timeout.ZERO) {
            fail(t, IpcError.TIMEOUT, IpcError.PHASE_RECEIVE);
            return;
        }
        markAwaited(from);
        kcpu.writeState(t, ThreadState.WAITING);
        t.setReceiveFrom(from);
        if (t.sysReceiveTimeout() != Timeout.NEVER) {
            kcpu.touchTcb(t, Field.TIMEOUT, AccessKind.WRITE);
            kcpu.touchTcb(t, Field.WAKEUP_LINKS, AccessKind.WRITE);
            kcpu.addWakeup(t, Timeout.deadline(kcpu.cpu().clock(), t.sysReceiveTimeout()));
        }
    }

    /**
     * Delivers an interrupt of {@code irq}'s line to {@code handler} (both on this CPU) as an
     * IPC from the interrupt thread (thesis 2.4): at once if the handler waits for it, else by
     * queueing the interrupt thread in the handler's send queue like a polling sender. While
     * an interrupt is delivered and not acknowledged, further ones are counted and delivered
     * one per acknowledgement: none is lost.
     */
    public void deliverInterrupt(Tcb irq, Tcb handler) {
        if (irq.irqInService()) {
            irq.setIrqPending(irq.irqPending() + 1);
            counters.increment(cIrqQueued);
            return;
        }
        irq.setIrqInService(true);
        irq.setSysTag(MsgTag.make(InterruptThreads.LABEL, 0));
        counters.increment(cIrqDelivered);
        if (handler.state() == ThreadState.WAITING
                && (handler.receiveFrom().isAny() || handler.receiveFrom().equals(irq.id))) {
            transmitPath.transmit(irq, handler); // no typed items: cannot fail
            irq.setState(ThreadState.WAITING);
        } else {
            irq.setState(ThreadState.POLLING);
            irq.setPartner(handler);
            if (!irq.inSendQueue()) {
                enqueueSender(handler, irq);
            }
        }
    }

    /**
     * The handler {@code t} acknowledges the interrupt of {@code irq} (an empty send to the
     * interrupt thread): the line is re-enabled, and a queued interrupt is delivered next.
     */
    boolean acknowledgeInterrupt(Tcb t, Tcb irq) {
        if (!t.id.equals(irq.pager())) {
            fail(t, IpcError.NO_PARTNER, IpcError.PHASE_SEND);
            return false;
        }
        irq.setIrqInService(false);
        if (irq.irqPending() > 0) {
            irq.setIrqPending(irq.irqPending() - 1);
            deliverInterrupt(irq, t);
        }
        return true;
    }

    void continueInvoker(Tcb t) {
        if (t.kernelResume() != KernelResume.NONE) {
            return; // queued to finish its IPC later (XpIpc.retryLater)
        }
        if (t.state() == ThreadState.READY) {
            kcpu.enqueueReadyHead(t);
            kcpu.setSwitchHint(t);
        } else if (t.partner() != null && t.partner().cpuAcquire() == kcpu.index() && t.partner().state() == ThreadState.READY) {
            kcpu.setSwitchHint(t.partner()); // switchTo(B), 8.3.2
        }
    }

    void fail(Tcb t, int code, int phase) {
        failWord(t, IpcError.word(code, phase));
    }

    void failWord(Tcb t, int word) {
        if (xp != null) {
            xp.unpublishWait(t);
        }
        kcpu.touchTcb(t, Field.STATE, AccessKind.WRITE);
        t.setErrorCode(word);
        t.setResultTag(MsgTag.ERROR_FLAG);
        t.mr[0] = t.resultTag();
        t.setReceiveFrom(ThreadId.NIL);
        t.setState(ThreadState.READY);
        counters.increment(cErrors);
        kcpu.cpu().log().record(kcpu.index(), Syscall.EV_IPC_ERROR, kcpu.cpu().clock(), t.id.number(), t.errorCode());
    }

    /**
     * {@code t}'s IPC failed after the transfer of a message with {@code tag} between it and
     * {@code partner} had begun (message overflow, a transfer timeout, an abort): the error word
     * carries the {@code offset} bytes transferred, the result tag is the sender's tag with E
     * set, and {@code from} is the partner -- for the receiver the sender, as on success
     * (Pistachio transfer_message: both sides get the receiver's tag, the sender's with the
     * error bit; X.2 ErrorCode). {@code crossed}: the receiver's tag reports the crossing.
     * {@code partner} null: none is known any more ({@code from} nil).
     *
     * <p>The one implementation of a failed transfer, for the direct and cross-processor paths
     * and for the page-fault paths of the space layer (which reach it through
     * {@link KernelCpuPort#ipcPath()}). Owner CPU of {@code t} only.
     */
    public void failTransfer(Tcb t, Tcb partner, int tag, int code, int phase, long offset, boolean crossed) {
        failWord(t, IpcError.word(code, phase, offset));
        t.setResultTag(errorTag(kcpu.kernel().config().abi(), tag, crossed));
        t.mr[0] = t.resultTag();
        t.setResultFrom(partner != null ? partner.id : ThreadId.NIL);
    }

    /**
     * The result tag of a failed transfer of a message with {@code tag}: its label, u and t, and
     * E, with the crossing marked as {@code abi} marks it.
     */
    static int errorTag(Abi abi, int tag, boolean crossed) {
        return (tag & ~(0xF << 12)) | MsgTag.ERROR_FLAG | (crossed ? abi.crossedBits(tag) : 0);
    }

    /**
     * A send of {@code t} ended with error word {@code word} reported by another path (the
     * proxy of a cross-processor send, a timeout, a cancel): a blocked sender that timed out or
     * was canceled gets its own tag with E; one whose transfer had begun (codes 4..7) too, and
     * its partner as {@code from}; any other error the bare E tag.
     */
    void failSendWord(Tcb t, int word) {
        failWord(t, word);
        int code = IpcError.code(word);
        if (code == IpcError.TIMEOUT || code == IpcError.CANCELED || code >= IpcError.MESSAGE_OVERFLOW) {
            t.setResultTag(errorTag(kcpu.kernel().config().abi(), t.sysTag(), false));
            t.mr[0] = t.resultTag();
            if (code >= IpcError.MESSAGE_OVERFLOW && t.partner() != null) {
                t.setResultFrom(t.partner().id);
            }
        }
    }

    /**
     * A partner on another CPU that the cross-processor path cannot serve: an interrupt thread
     * (only its handler, which lives on its CPU, may send to it) or a CPU without the kernel (an
     * experiment drives it with a dispatcher of its own). Non-existing partner, as locally.
     */
    void unreachablePartner(Tcb t, Tcb partner, int phase) {
        fail(t, IpcError.NO_PARTNER, phase);
        if (partner.hardwareLine() < 0) {
            warnOnce(t, t + " on CPU " + kcpu.index() + ": " + partner + " is on CPU " + partner.cpuAcquire()
                    + ", where the kernel does not run: " + IpcError.describe(t.errorCode()));
        }
    }

    void warnOnce(Tcb t, String message) {
        if (kernel.firstWarning(t)) {
            LOG.warn("{}", message);
        }
    }

    static void enqueueSender(Tcb receiver, Tcb sender) {
        SendQueue.enqueue(receiver, sender);
    }

    static void dequeueSender(Tcb receiver, Tcb sender) {
        SendQueue.dequeue(receiver, sender);
    }

    /** A timeout of {@code t} expired (fired by the CPU's wakeup queue). */
    public void timeoutExpired(Tcb t) {
        ipcEnds.timeoutExpired(t);
    }

    /**
     * {@code dead} is gone: it leaves the send queue it polls in; every thread of this CPU that
     * polls to send to it, or waits in a closed receive from it, fails with "non-existing
     * partner".
     */
    public void threadGone(Tcb dead, Iterable<Tcb> threadsOfThisCpu) {
        ipcEnds.threadGone(dead, threadsOfThisCpu);
    }

    /**
     * {@code t} waits in a closed receive from a thread that is gone (it ended on another CPU):
     * the receive fails with "non-existing partner". Owner CPU of {@code t} only.
     */
    public void partnerGone(Tcb t) {
        ipcEnds.partnerGone(t);
    }

    /**
     * {@code t} migrates away from this CPU (thesis 8.5, 8.7; the source's part B): if it polls
     * to send to a thread here, it leaves that send queue and runs its IPC again on its new CPU;
     * every sender polling in its own send queue goes on to the new CPU: a local sender runs its
     * IPC again (its send phase had transferred nothing), the proxy of a remote sender answers
     * "retarget" ({@link XpIpc#RETARGET}). No sender is lost, no message delivered twice.
     */
    public void migrateOut(Tcb t) {
        ipcEnds.migrateOut(t);
    }

    /**
     * Cancels the IPC of {@code t} in the phase {@code phase} if it is in it (exchange-registers,
     * X.2: error code 3, "canceled"). Returns whether an IPC was canceled.
     */
    public boolean cancel(Tcb t, int phase) {
        return ipcEnds.cancel(t, phase);
    }
}
