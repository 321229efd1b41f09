package l4smp.kernel.ipc;

import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpu;
import l4smp.kernel.Syscall;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.emulator.cache.AccessKind;
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

    private static final Logger LOG = LoggerFactory.getLogger(IpcPath.class);

    private final Kernel kernel;
    private final KernelCpu kcpu;
    private SingleWriterCounters counters;
    private int cIpc;
    private int cErrors;
    private int cIrqDelivered;
    private int cIrqQueued;
    private int cMapItems;
    /** One line of a string copy in flight (owner CPU only). */
    private final byte[] copyBuffer = new byte[256];
    /** The cross-processor paths; {@code null} on a one-CPU machine. */
    private XpIpc xp;

    public IpcPath(Kernel kernel, KernelCpu kcpu) {
        this.kernel = kernel;
        this.kcpu = kcpu;
    }

    /** Installs the cross-processor paths (boot, machines with more than one CPU). */
    public void setXp(XpIpc xp) {
        this.xp = xp;
    }

    /** The cross-processor paths, or {@code null} on a one-CPU machine. */
    public XpIpc xp() {
        return xp;
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

    /** The IPC system call of {@code t} (the invoker, just trapped). */
    public void ipc(Tcb t) {
        t.errorCode = 0;
        t.resultTag = 0;
        t.resultFrom = ThreadId.NIL;
        if (!t.sysTo.isNil()) {
            if (!sendPhase(t)) {
                continueInvoker(t);
                return;
            }
        }
        if (t.state == ThreadState.READY) {
            receivePhase(t);
        }
        continueInvoker(t);
    }

    /**
     * The send phase of {@code t}. Returns true when it completed (the message is delivered)
     * and false when it failed or {@code t} now polls.
     */
    private boolean sendPhase(Tcb t) {
        Tcb dest = kernel.lookup(t.sysTo);
        if (dest == null || dest == t) {
            fail(t, IpcError.NO_PARTNER, IpcError.PHASE_SEND);
            return false;
        }
        // 8.3.2: check myself == dest, read the target's processor.
        kcpu.touchTcb(dest, Field.MYSELF, AccessKind.READ);
        kcpu.touchTcb(dest, Field.CPU, AccessKind.READ);
        if (dest.cpuAcquire() != kcpu.index()) {
            if (xp == null || dest.hardwareLine >= 0) {
                unreachablePartner(t, dest, IpcError.PHASE_SEND);
                return false;
            }
            return xp.send(t, dest); // 8.3.5: the XP send path
        }
        if (dest.hardwareLine >= 0) {
            return acknowledgeInterrupt(t, dest);
        }
        kcpu.touchTcb(t, Field.PARTNER, AccessKind.WRITE);
        t.partner = dest;
        kcpu.touchTcb(dest, Field.STATE, AccessKind.READ);
        if (dest.state == ThreadState.WAITING && (dest.receiveFrom.isAny() || dest.receiveFrom.equals(t.id))) {
            int result = transmit(t, dest);
            if (result == l4smp.kernel.space.SpaceIpc.FAULTED) {
                kernel.spaces().ipc().suspended(kcpu, t, dest, true);
                return false;
            }
            if (result != 0) {
                fail(t, senderCode(result), IpcError.PHASE_SEND);
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
        boolean receivesSoon = xp != null && xp.receivesAfterXpReturn(dest, t);
        if (t.sysSendTimeout == Timeout.ZERO && !receivesSoon) {
            fail(t, IpcError.TIMEOUT, IpcError.PHASE_SEND);
            return false;
        }
        kcpu.touchTcb(t, Field.STATE, AccessKind.WRITE);
        t.state = ThreadState.POLLING;
        kcpu.touchTcb(dest, Field.SEND_QUEUE, AccessKind.WRITE);
        kcpu.touchTcb(t, Field.SEND_LINKS, AccessKind.WRITE);
        enqueueSender(dest, t);
        if (t.sysSendTimeout != Timeout.NEVER && !receivesSoon) {
            kcpu.touchTcb(t, Field.TIMEOUT, AccessKind.WRITE);
            kcpu.touchTcb(t, Field.WAKEUP_LINKS, AccessKind.WRITE);
            kcpu.wakeups().add(t, kcpu.cpu().clock() + t.sysSendTimeout);
        }
        return false;
    }

    /**
     * The receive phase of {@code t}: completes at once with a polling sender, or leaves
     * {@code t} waiting. {@code t} is READY on entry.
     */
    void receivePhase(Tcb t) {
        ThreadId from = t.sysFrom;
        if (from.isNil()) {
            return; // send only: done
        }
        if (xp == null) {
            receiveDecision(t, from);
            return;
        }
        xp.beginReceive(t); // the TCB lock, check_n_ack, arrived proxies (8.3.3, 8.3.4)
        try {
            receiveDecision(t, from);
        } finally {
            xp.endReceive(t);
        }
    }

    private void receiveDecision(Tcb t, ThreadId from) {
        Tcb sender;
        if (from.isAny()) {
            kcpu.touchTcb(t, Field.SEND_QUEUE, AccessKind.READ);
            sender = t.sendQueueHead;
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
                if (!xp.activate(t, s)) {
                    block(t, from);
                }
                return;
            }
            kcpu.touchTcb(s, Field.STATE, AccessKind.READ);
            kcpu.touchTcb(s, Field.PARTNER, AccessKind.READ);
            sender = s.state == ThreadState.POLLING && s.partner == t ? s : null;
        }
        if (sender != null && xp != null && sender.cpuAcquire() != kcpu.index()) {
            // The head of our send queue is a sender of another CPU: its proxy polls here.
            if (!xp.activate(t, sender)) {
                throw new IllegalStateException(sender + " is in the send queue of " + t + " without a polling proxy");
            }
            return;
        }
        if (sender != null) {
            kcpu.touchTcb(sender, Field.SEND_LINKS, AccessKind.WRITE);
            kcpu.touchTcb(t, Field.SEND_QUEUE, AccessKind.WRITE);
            dequeueSender(t, sender);
            kcpu.wakeups().remove(sender);
            sender.state = ThreadState.READY;
            int result = transmit(sender, t);
            if (result == l4smp.kernel.space.SpaceIpc.FAULTED) {
                kernel.spaces().ipc().suspended(kcpu, sender, t, false);
                return;
            }
            if (sender.hardwareLine >= 0) {
                sender.state = ThreadState.WAITING; // an interrupt thread only ever "sends"
                return;
            }
            if (result != 0) {
                fail(sender, senderCode(result), IpcError.PHASE_SEND);
                kcpu.makeReady(sender);
                return;
            }
            // The sender's send phase is complete: run its receive phase, as its own kernel
            // stack would (a call now waits for the reply).
            receivePhase(sender);
            if (sender.state == ThreadState.READY) {
                kcpu.readyList().enqueueTail(sender);
            }
            return;
        }
        block(t, from);
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
    private void block(Tcb t, ThreadId from) {
        if (t.sysReceiveTimeout == Timeout.ZERO) {
            fail(t, IpcError.TIMEOUT, IpcError.PHASE_RECEIVE);
            return;
        }
        kcpu.touchTcb(t, Field.STATE, AccessKind.WRITE);
        markAwaited(from);
        t.state = ThreadState.WAITING;
        t.receiveFrom = from;
        if (t.sysReceiveTimeout != Timeout.NEVER) {
            kcpu.touchTcb(t, Field.TIMEOUT, AccessKind.WRITE);
            kcpu.touchTcb(t, Field.WAKEUP_LINKS, AccessKind.WRITE);
            kcpu.wakeups().add(t, kcpu.cpu().clock() + t.sysReceiveTimeout);
        }
    }

    /**
     * Transmits the message of {@code from} to {@code to} (untyped words: the message
     * registers), and completes the receive of {@code to}. {@code to} was waiting for it, or is
     * the invoker of a receive that found {@code from} polling.
     */
    private int transmit(Tcb from, Tcb to) {
        int result = copyMessage(from, to, to.mr);
        if (result == l4smp.kernel.space.SpaceIpc.FAULTED) {
            return result; // a page fault stopped the long IPC (8.3.2): the caller suspends it
        }
        completeReceive(from, to, from.sysTag, result, false);
        return result;
    }

    /**
     * The copy of {@code from}'s message for {@code to} on this CPU (8.3.2 transmit path): the
     * message registers word by word and the string items line by line through the accounting
     * layer; the words land in {@code out} ({@code to.mr}, or a mailbox's staging area when a
     * sender copies, experiment D4). Returns 0 or the two error codes. On one CPU the copying
     * partner is immaterial; across CPUs it runs on the receiver's (implementation decision 2).
     */
    int copyMessage(Tcb from, Tcb to, long[] out) {
        int tag = from.sysTag;
        int u = MsgTag.untyped(tag);
        int t = MsgTag.typed(tag);
        if (from.hardwareLine < 0) {
            for (int i = 1; i <= u + t; i++) {
                kcpu.touchMr(from, i, AccessKind.READ);
                kcpu.touchMr(to, i, AccessKind.WRITE);
            }
        }
        System.arraycopy(from.mr, 1, out, 1, u);
        return t == 0 ? 0 : transferTyped(from, to, u, t, out);
    }

    /**
     * Completes the receive of {@code to} (a message of {@code from} with {@code tag} was
     * copied, with {@code result}): its result tag (with the cross-processor bits when
     * {@code crossed}), sender, error code; {@code to} becomes ready if it was waiting.
     */
    void completeReceive(Tcb from, Tcb to, int tag, int result, boolean crossed) {
        boolean wasWaiting = to.state == ThreadState.WAITING;
        if (xp != null) {
            xp.unpublishWait(to);
        }
        if (result != 0) {
            fail(to, receiverCode(result), IpcError.PHASE_RECEIVE);
        } else {
            kcpu.touchTcb(to, Field.PARTNER, AccessKind.WRITE);
            to.resultTag = (tag & ~(0xF << 12)) | (crossed ? MsgTag.crossedBits(tag) : 0);
            to.mr[0] = to.resultTag;
            to.resultFrom = from.id;
            to.errorCode = 0;
            to.receiveFrom = ThreadId.NIL;
            to.partner = from;
            if (!crossed) {
                counters.increment(cIpc);
            }
            kcpu.cpu().log().record(kcpu.index(), Syscall.EV_IPC, kcpu.cpu().clock(), to.id.number(), from.id.number());
        }
        if (wasWaiting) {
            kcpu.wakeups().remove(to);
            kcpu.makeReady(to);
        }
    }

    /**
     * XP RETURN (8.3.5, 8.4.1): the cross-processor send of {@code t} finished on the
     * receiver's CPU (processor number {@code processor}) with completion code {@code code};
     * {@code t} fails, or is done (send only: its result tag reports the crossing), or runs its
     * receive phase.
     */
    void xpSendReturned(Tcb t, int code, int processor) {
        kcpu.touchTcb(t, Field.STATE, AccessKind.WRITE);
        t.state = ThreadState.READY;
        if (code != 0) {
            t.waitPublished = false;
            t.errorCode = code;
            failWord(t, code);
        } else {
            t.resultTag = MsgTag.crossedBits(0);
            if (!t.sysFrom.isNil()) {
                t.waitPublished = true; // the proxy published the receive (XpIpc.complete)
                receivePhase(t);
            }
        }
        continueInvoker(t);
    }

    /**
     * The typed items (X.2, thesis 8.3.2 transmit path): strings are copied into the receiver's
     * string buffers, line by line through the accounting layer, bounded by the transfer
     * timeout (the smaller of the sender's send and the receiver's receive transfer timeout);
     * map and grant items are validated against the receiver's window. Returns 0, or the two
     * error codes ({@code sender | receiver << 8}).
     */
    private int transferTyped(Tcb from, Tcb to, int u, int t, long[] out) {
        if (l4smp.kernel.space.SpaceIpc.involves(from, to)) {
            if (out != to.mr) {
                // The sender-side copy experiment (D4) stages on the sender's CPU: typed items
                // between spaces are not staged (their faults and mappings belong to the
                // receiver's CPU, 8.4.2); any non-zero result leaves the copy to the proxy there.
                return both(IpcError.MESSAGE_OVERFLOW);
            }
            // Across address spaces, on the receiver's CPU (the space layer writes to.mr, which
            // is out; cross-processor faults are redone as 8.4.2 says, see SpaceIpc).
            return kernel.spaces().ipc().transferTyped(kcpu, from, to, u, t);
        }
        if ((t & 1) != 0) {
            return both(IpcError.MESSAGE_OVERFLOW); // an item is two words
        }
        long xfer = Math.min(from.xferTimeoutSend, to.xferTimeoutReceive);
        long deadline = xfer == Timeout.NEVER ? Long.MAX_VALUE : kcpu.cpu().clock() + xfer;
        int buffer = 1;
        for (int i = u + 1; i < u + t; i += 2) {
            long w0 = from.mr[i];
            long w1 = from.mr[i + 1];
            switch (TypedItems.type(w0)) {
                case TypedItems.STRING -> {
                    int length = TypedItems.stringLength(w0);
                    if ((to.br[0] & TypedItems.ACCEPT_STRINGS) == 0 || buffer + 1 >= TypedItems.BUFFER_REGISTERS
                            || TypedItems.type(to.br[buffer]) != TypedItems.STRING
                            || TypedItems.stringLength(to.br[buffer]) < length) {
                        return both(IpcError.MESSAGE_OVERFLOW); // no (big enough) receive buffer
                    }
                    long target = to.br[buffer + 1];
                    buffer += 2;
                    if (!userRange(w1, length) || !userRange(target, length)) {
                        return both(IpcError.MESSAGE_OVERFLOW); // outside the (flat) user space
                    }
                    int result = copyString(w1, target, length, deadline);
                    if (result != 0) {
                        return result;
                    }
                    out[i] = (long) length << 10 | TypedItems.STRING;
                    out[i + 1] = target;
                }
                case TypedItems.MAP, TypedItems.GRANT -> {
                    if (!TypedItems.validFpage(w1) || !TypedItems.validFpage(to.br[0] & ~TypedItems.ACCEPT_STRINGS)) {
                        return both(IpcError.MESSAGE_OVERFLOW); // malformed page, or no receive window
                    }
                    out[i] = w0;
                    out[i + 1] = w1;
                    counters.increment(cMapItems);
                }
                default -> {
                    return both(IpcError.MESSAGE_OVERFLOW);
                }
            }
        }
        return 0;
    }

    /**
     * Copies {@code length} bytes, one line at a time: each source line is read and each
     * destination line written through the accounting layer. When the transfer timeout expires
     * after a read, it expired in the sender's space (the sender is told "in the invoker's
     * space", the receiver "in the partner's"); after a write, the other way round.
     */
    private int copyString(long source, long target, int length, long deadline) {
        var cpu = kcpu.cpu();
        var memory = cpu.machine().physicalMemory();
        int line = cpu.machine().config().costModel().lineBytes();
        int done = 0;
        while (done < length) {
            int chunk = Math.min(line - (int) ((source + done) % line), length - done);
            chunk = Math.min(chunk, line - (int) ((target + done) % line));
            cpu.touch(source + done, AccessKind.READ);
            if (cpu.clock() > deadline) {
                return IpcError.XFER_TIMEOUT_INVOKER | IpcError.XFER_TIMEOUT_PARTNER << 8;
            }
            memory.readBytesPlain(source + done, copyBuffer, 0, chunk);
            memory.writeBytesPlain(target + done, copyBuffer, 0, chunk);
            cpu.touch(target + done, AccessKind.WRITE);
            if (cpu.clock() > deadline) {
                return IpcError.XFER_TIMEOUT_PARTNER | IpcError.XFER_TIMEOUT_INVOKER << 8;
            }
            done += chunk;
        }
        return 0;
    }

    private boolean userRange(long address, int length) {
        return address >= 0 && address + length <= kcpu.cpu().machine().kernelRegion().base();
    }

    private static int both(int code) {
        return code | code << 8;
    }

    static int senderCode(int result) {
        return result & 0xFF;
    }

    private static int receiverCode(int result) {
        return (result >>> 8) & 0xFF;
    }

    /**
     * Delivers an interrupt of {@code irq}'s line to {@code handler} (both on this CPU) as an
     * IPC from the interrupt thread (thesis 2.4): at once if the handler waits for it, else by
     * queueing the interrupt thread in the handler's send queue like a polling sender. While
     * an interrupt is delivered and not acknowledged, further ones are counted and delivered
     * one per acknowledgement: none is lost.
     */
    public void deliverInterrupt(Tcb irq, Tcb handler) {
        if (irq.irqInService) {
            irq.irqPending++;
            counters.increment(cIrqQueued);
            return;
        }
        irq.irqInService = true;
        irq.sysTag = MsgTag.make(InterruptThreads.LABEL, 0);
        counters.increment(cIrqDelivered);
        if (handler.state == ThreadState.WAITING
                && (handler.receiveFrom.isAny() || handler.receiveFrom.equals(irq.id))) {
            transmit(irq, handler); // no typed items: cannot fail
            irq.state = ThreadState.WAITING;
        } else {
            irq.state = ThreadState.POLLING;
            irq.partner = handler;
            if (!irq.inSendQueue) {
                enqueueSender(handler, irq);
            }
        }
    }

    /**
     * The handler {@code t} acknowledges the interrupt of {@code irq} (an empty send to the
     * interrupt thread): the line is re-enabled, and a queued interrupt is delivered next.
     */
    private boolean acknowledgeInterrupt(Tcb t, Tcb irq) {
        if (!t.id.equals(irq.pager)) {
            fail(t, IpcError.NO_PARTNER, IpcError.PHASE_SEND);
            return false;
        }
        irq.irqInService = false;
        if (irq.irqPending > 0) {
            irq.irqPending--;
            deliverInterrupt(irq, t);
        }
        return true;
    }

    /** A timeout of {@code t} expired (fired by the CPU's wakeup queue). */
    public void timeoutExpired(Tcb t) {
        if (t.kernelResume == XpIpc.RESUME_RETRY_SCHEDULE) {
            kcpu.makeReady(t); // a schedule call's backoff ended (Migration): it runs again
            return;
        }
        if (t.fault != null && kernel.spaces().ipc().timeoutExpired(kcpu, t)) {
            return; // the transfer timeout of a long IPC suspended by a page fault
        }
        if (t.xpMailbox != null) {
            xp.proxyTimeout(t); // a proxy's send deadline (8.3.5)
            return;
        }
        if (t.state == ThreadState.POLLING) {
            Tcb dest = t.partner;
            if (dest != null && t.inSendQueue) {
                dequeueSender(dest, t);
            }
            stopMailboxWait(t);
            fail(t, IpcError.TIMEOUT, IpcError.PHASE_SEND);
            kcpu.makeReady(t);
        } else if (t.state == ThreadState.WAITING) {
            fail(t, IpcError.TIMEOUT, IpcError.PHASE_RECEIVE);
            kcpu.makeReady(t);
        }
    }

    /**
     * {@code dead} is gone: it leaves the send queue it polls in; every thread of this CPU that
     * polls to send to it, or waits in a closed receive from it, fails with "non-existing
     * partner".
     */
    public void threadGone(Tcb dead, Iterable<Tcb> threadsOfThisCpu) {
        if (dead.inSendQueue && dead.partner != null) {
            dequeueSender(dead.partner, dead);
        }
        while (dead.sendQueueHead != null) {
            Tcb s = dead.sendQueueHead;
            dequeueSender(dead, s);
            if (xp != null && s.cpuAcquire() != kcpu.index()) {
                xp.receiverGone(s); // its proxy polls here: the sender learns it by its reply
                continue;
            }
            kcpu.wakeups().remove(s);
            fail(s, IpcError.NO_PARTNER, IpcError.PHASE_SEND);
            kcpu.makeReady(s);
        }
        for (Tcb t : threadsOfThisCpu) {
            if (t.state == ThreadState.WAITING && t.receiveFrom.equals(dead.id)) {
                kcpu.wakeups().remove(t);
                fail(t, IpcError.NO_PARTNER, IpcError.PHASE_RECEIVE);
                kcpu.makeReady(t);
            }
        }
    }

    /**
     * {@code t} waits in a closed receive from a thread that is gone (it ended on another CPU):
     * the receive fails with "non-existing partner". Owner CPU of {@code t} only.
     */
    public void partnerGone(Tcb t) {
        kcpu.wakeups().remove(t);
        if (xp != null) {
            xp.unpublishWait(t);
        }
        fail(t, IpcError.NO_PARTNER, IpcError.PHASE_RECEIVE);
        kcpu.makeReady(t);
    }

    /**
     * {@code t} migrates away from this CPU (thesis 8.5, 8.7; the source's part B): if it polls
     * to send to a thread here, it leaves that send queue and runs its IPC again on its new CPU;
     * every sender polling in its own send queue goes on to the new CPU: a local sender runs its
     * IPC again (its send phase had transferred nothing), the proxy of a remote sender answers
     * "retarget" ({@link XpIpc#RETARGET}). No sender is lost, no message delivered twice.
     */
    public void migrateOut(Tcb t) {
        if (t.state == ThreadState.POLLING) {
            if (t.inSendQueue && t.partner != null) {
                kcpu.touchTcb(t.partner, Field.SEND_QUEUE, AccessKind.WRITE);
                dequeueSender(t.partner, t);
            }
            keepRemainingSendTimeout(t);
            kcpu.wakeups().remove(t);
            kcpu.touchTcb(t, Field.STATE, AccessKind.WRITE);
            t.state = ThreadState.READY;
            t.kernelResume = XpIpc.RESUME_RETRY_IPC;
        }
        while (t.sendQueueHead != null) {
            Tcb s = t.sendQueueHead;
            kcpu.touchTcb(t, Field.SEND_QUEUE, AccessKind.WRITE);
            kcpu.touchTcb(s, Field.SEND_LINKS, AccessKind.WRITE);
            dequeueSender(t, s);
            if (xp != null && s.cpuAcquire() != kcpu.index()) {
                xp.receiverLeft(s); // its proxy polls here (8.5 race 3)
                continue;
            }
            keepRemainingSendTimeout(s);
            kcpu.wakeups().remove(s);
            s.state = ThreadState.READY;
            s.kernelResume = XpIpc.RESUME_RETRY_IPC;
            kcpu.makeReady(s);
        }
    }

    /**
     * A polling sender whose IPC runs again after a migration keeps what is left of its send
     * timeout, as a waiting thread keeps its timeout (8.7.3): the send timeout counts from the
     * send, not from the retry. A deadline already reached leaves timeout 0 (the retry succeeds
     * only with a receiver ready at once). A sender with no timeout armed (NEVER, or a receiver
     * that counted as receptive) keeps its argument.
     */
    private void keepRemainingSendTimeout(Tcb s) {
        if (s.wakeupIndex >= 0) {
            s.sysSendTimeout = Math.max(Timeout.ZERO, s.wakeupTime - kcpu.cpu().clock());
        }
    }

    /**
     * Cancels the IPC of {@code t} in the phase {@code phase} if it is in it (exchange-registers,
     * X.2: error code 3, "canceled"). Returns whether an IPC was canceled.
     */
    public boolean cancel(Tcb t, int phase) {
        if (phase == IpcError.PHASE_SEND && t.state == ThreadState.POLLING) {
            if (t.inSendQueue && t.partner != null) {
                dequeueSender(t.partner, t);
            }
            stopMailboxWait(t);
            kcpu.wakeups().remove(t);
            fail(t, IpcError.CANCELED, IpcError.PHASE_SEND);
            kcpu.makeReady(t);
            return true;
        }
        if (phase == IpcError.PHASE_RECEIVE && t.state == ThreadState.WAITING) {
            kcpu.wakeups().remove(t);
            fail(t, IpcError.CANCELED, IpcError.PHASE_RECEIVE);
            kcpu.makeReady(t);
            return true;
        }
        return false;
    }

    /** A cross-processor send that waits for a free mailbox ends its wait: its IPC is not run again. */
    private void stopMailboxWait(Tcb t) {
        if (xp != null && t.mailboxWaitCpu >= 0) {
            xp.leaveMailboxWait(t);
            t.kernelResume = XpIpc.RESUME_NONE;
        }
    }

    private void continueInvoker(Tcb t) {
        if (t.kernelResume != XpIpc.RESUME_NONE) {
            return; // queued to finish its IPC later (XpIpc.retryLater)
        }
        if (t.state == ThreadState.READY) {
            kcpu.readyList().enqueueHead(t);
            kcpu.setSwitchHint(t);
        } else if (t.partner != null && t.partner.cpuAcquire() == kcpu.index() && t.partner.state == ThreadState.READY) {
            kcpu.setSwitchHint(t.partner); // switchTo(B), 8.3.2
        }
    }

    void fail(Tcb t, int code, int phase) {
        failWord(t, IpcError.word(code, phase));
    }

    private void failWord(Tcb t, int word) {
        if (xp != null) {
            xp.unpublishWait(t);
        }
        kcpu.touchTcb(t, Field.STATE, AccessKind.WRITE);
        t.errorCode = word;
        t.resultTag = MsgTag.ERROR_FLAG;
        t.mr[0] = t.resultTag;
        t.receiveFrom = ThreadId.NIL;
        t.state = ThreadState.READY;
        counters.increment(cErrors);
        kcpu.cpu().log().record(kcpu.index(), Syscall.EV_IPC_ERROR, kcpu.cpu().clock(), t.id.number(), t.errorCode);
    }

    /**
     * A partner on another CPU that the cross-processor path cannot serve: an interrupt thread
     * (only its handler, which lives on its CPU, may send to it) or a CPU without the kernel (an
     * experiment drives it with a dispatcher of its own). Non-existing partner, as locally.
     */
    private void unreachablePartner(Tcb t, Tcb partner, int phase) {
        fail(t, IpcError.NO_PARTNER, phase);
        if (partner.hardwareLine < 0) {
            warnOnce(t, t + " on CPU " + kcpu.index() + ": " + partner + " is on CPU " + partner.cpuAcquire()
                    + ", where the kernel does not run: " + IpcError.describe(t.errorCode));
        }
    }

    private void warnOnce(Tcb t, String message) {
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
}
