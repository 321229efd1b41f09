package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.XpSendHandshake;

/**
 * IPC propagation (L4 X.2 "Ipc", propagation; Pistachio {@code api/v4/ipc.cc}, sys_ipc's send
 * phase and transfer_message): a sender whose send tag carries the p bit ({@link Abi#propagates})
 * sends on behalf of the VirtualSender it names in its UTCB. The receiver sees the virtual sender
 * as {@code from}, the p bit in its result tag and the actual sender in its
 * VirtualSender/ActualSender word; a virtual sender waiting in a closed receive from the actual
 * sender now waits for the receiver instead, so that the receiver's reply reaches it. The
 * sender, the virtual sender and the receiver may run on any processors.
 *
 * <h2>When the kernel propagates</h2>
 * <pre>
 *   send phase (accept):  vs = the thread the VirtualSender word names;
 *       vs missing, an interrupt thread, or neither in the sender's space nor the sender in the
 *       receiver's space -> an ordinary send (Pistachio: tag.set_propagated(false));
 *       else: the receiver accepts the message when it waits for any, for the actual sender
 *       or for vs (Pistachio: "not waiting for actual sender (if propagating IPC)").
 *       Receiver on another processor: the mailbox carries vs (Pistachio's do_xcpu_send carries
 *       sender_id), the sender's CPU reads the receiver's WAIT_FOR against both, and so does the
 *       proxy against the receiver's receive specifier (XpSendPath, XpProxy).
 *   transfer (complete, on the receiver's CPU): from = vs, tag with p (and, when the message
 *       crossed processors, the ABI's crossed bits), ActualSender = the sender; if vs waits in a
 *       closed receive from the sender, it now waits for the receiver (redirect, below).
 * </pre>
 *
 * <h2>The redirection across processors</h2>
 * Pistachio's transfer_message ("fixup_propagation") rewrites the virtual sender's partner
 * ({@code virt_sender->set_partner(dst)}) when vs "is waiting" and its partner is the sender,
 * inside the transfer, before the receiver runs: the receiver's reply then finds vs waiting for
 * it. Here vs's receive specifier is its owner CPU's, and the word other CPUs read is its
 * published WAIT_FOR (8.3.3). The transfer runs on the receiver's CPU and redirects before it
 * makes the receiver ready:
 * <pre>
 *   vs on this CPU and waiting: its receive specifier and its WAIT_FOR (under its TCB lock,
 *       the receive path's steps: XpSendHandshake.republishWaitFor), as its own path would
 *   otherwise (vs on another CPU, or here with its call's receive phase still to follow at its
 *       XP RETURN, 8.4.1): lock(vs); CAS vs.WAIT_FOR: sender -> receiver; unlock(vs)
 *       (XpSendHandshake.redirectWaitFor; jcstress: RemoteRedirectStress)
 *       (the record of the redirection, from whom to whom, is written under the lock before the CAS)
 *   vs's CPU adopts the published specifier whenever it looks at vs's wait and finds the word
 *       changed by a recorded redirection (adoptRedirectedWait):
 *       the proxy of a send to vs, a local send to vs, the end of a partner, the partner-gone
 *       check, and the receive phase of a call at its XP RETURN (adoptRedirectedCall)
 * </pre>
 * The WAIT_FOR word names the sender only while vs waits for it (or its call's receive phase
 * follows, XpProxy.complete published it): vs's CPU withdraws it, without a lock, whenever vs
 * stops waiting (receipt, timeout, cancel, a partner gone), and a migration moves vs with the
 * word. (Within a long IPC the space layer's waits leave the word as it was, so a CPU adopts only
 * a word its recorded redirection produced, never one that merely differs from the specifier.)
 * So the compare-and-set takes effect exactly when vs still waits for the sender, whatever
 * vs's CPU does meanwhile: a timeout or cancel that came first leaves it failed and the receiver's
 * reply finds it not waiting (as on one processor); one that comes after withdraws the
 * redirected word. The receiver can reply only after the transfer, that is after the
 * compare-and-set: its send reads vs's WAIT_FOR under vs's lock (8.3.3) and sees the receiver,
 * and the proxy on vs's CPU adopts it before deciding, so the reply is taken by vs, or polls until
 * vs's receive phase takes it (XpProxy.receivesAfterXpReturn), never refused while vs waits for it
 * and never given to a vs that stopped waiting.
 *
 * <p>As in Pistachio, whose closed receive looks only at the thread it names, a closed receive
 * from vs that begins after the propagating sender started to poll does not find it (an open
 * receive does).
 *
 * <p>Owner CPU only (the CPU of the send phase, or of the transfer). Allocation-free, except
 * when a CPU adopts a redirected wait (a rare path).
 */
final class Propagation {

    private final IpcPath ipc;

    Propagation(IpcPath ipc) {
        this.ipc = ipc;
    }

    /**
     * The send phase of {@code t} to {@code dest} (not an interrupt thread) asks for propagation:
     * records the accepted virtual sender in {@code t}'s system-call fields, and leaves an
     * ordinary send as it is (Pistachio sys_ipc).
     */
    void accept(Tcb t, Tcb dest) {
        Tcb vs = ipc.kernel.lookup(t.virtualActualSender());
        if (vs == null || vs.hardwareLine() >= 0 || (vs.space() != t.space() && t.space() != dest.space())) {
            return; // not permitted: an ordinary send (Pistachio clears the p bit)
        }
        t.setSysVirtualSender(vs);
    }

    /**
     * Pistachio transfer_message's fixup_propagation, on the receiver's CPU before the receiver
     * runs: {@code vs}, the virtual sender of the message {@code sender} just delivered to
     * {@code receiver}, waits for the receiver instead if it waits in a closed receive from the
     * sender (see "The redirection across processors").
     */
    void redirect(Tcb vs, Tcb sender, Tcb receiver) {
        XpIpc xp = ipc.xp;
        if (vs.cpuAcquire() == ipc.kcpu.index()) {
            ipc.kcpu.touchTcb(vs, Field.STATE, AccessKind.READ);
            if (vs.state() == ThreadState.WAITING) {
                adoptRedirectedWait(vs);
                if (!vs.receiveFrom().equals(sender.id)) {
                    return;
                }
                ipc.markAwaited(receiver.id);
                vs.setReceiveFrom(receiver.id);
                if (xp != null && vs.waitPublished()) {
                    // The receive path's steps for vs (XpMailboxCheck.endReceive): WAIT_FOR under
                    // vs's TCB lock, which a sender of another CPU takes before it reads the word
                    // (XpSendHandshake.lockOnCpu). The receiver runs here and has not run since
                    // the transfer, so no sender of another CPU is the new partner yet, and
                    // endReceive's Dekker with a remote partner is not needed.
                    ipc.kcpu.touchTcb(vs, Field.WAIT_FOR, AccessKind.WRITE);
                    xp.republishWait(vs, receiver.id.raw());
                }
                return;
            }
        }
        if (xp != null) {
            // vs on another CPU, or here with its call's receive phase still to come: its
            // published wait, by a compare-and-set under its TCB lock. The receiver is marked
            // awaited first, as a receive path marks its partner before it publishes its wait
            // (the Dekker pair with the receiver's end, ThreadLifecycle).
            ipc.markAwaited(receiver.id);
            xp.redirectWait(vs, sender.id, receiver.id);
        }
    }

    /**
     * {@code t} (of this CPU) waits: if another CPU redirected its published wait
     * ({@link #redirect}), its receive specifier becomes the published one. Owner CPU only; the
     * word is read as the kernel's own (not charged: runs without propagation cost what they
     * cost before). A published word that differs from the receive specifier for another reason
     * (the space layer's waits within a long IPC do not republish it) is left alone: only a
     * recorded redirection from this specifier to this word is adopted.
     */
    void adoptRedirectedWait(Tcb t) {
        if (ipc.xp == null || !t.waitPublished() || t.state() != ThreadState.WAITING) {
            return;
        }
        int published = ipc.xp.publishedWaitFor(t);
        if (published != t.receiveFrom().raw() && redirected(t, t.receiveFrom(), published)) {
            t.setReceiveFrom(ThreadId.fromRaw(published)); // rare: allocates
        }
    }

    /**
     * {@code t}'s cross-processor send completed and its receive phase begins now, under its TCB
     * lock (XP RETURN, 8.4.1): the proxy had published that receive; if another CPU redirected
     * it meanwhile, the receive phase waits for the redirected partner. Owner CPU only.
     */
    void adoptRedirectedCall(Tcb t) {
        int published = ipc.xp.publishedWaitFor(t);
        if (published != t.sysFrom().raw() && redirected(t, t.sysFrom(), published)) {
            t.setSysFrom(ThreadId.fromRaw(published)); // rare: allocates
        }
    }

    /** Whether {@code t}'s last recorded redirection went from {@code from} to {@code published}. */
    private static boolean redirected(Tcb t, ThreadId from, int published) {
        // Read after the word: a redirection's record precedes its compare-and-set.
        return t.redirectedAcquire() == XpSendHandshake.redirection(from.raw(), published);
    }
}
