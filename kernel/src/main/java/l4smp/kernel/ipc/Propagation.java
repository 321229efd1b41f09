package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.XpSendHandshake;

/**
 * IPC propagation (L4 X.2 "Ipc", propagation; Pistachio {@code api/v4/ipc.cc}, sys_ipc's send
 * phase and transfer_message): a sender whose send tag carries the p bit ({@link Abi#propagates})
 * sends on behalf of the VirtualSender it names in its UTCB. The receiver sees the virtual sender
 * as {@code from}, the p bit in its result tag and the actual sender in its
 * VirtualSender/ActualSender word; a virtual sender waiting in a closed receive from the actual
 * sender now waits for the receiver instead, so that the receiver's reply reaches it.
 *
 * <h2>When the kernel propagates</h2>
 * <pre>
 *   send phase (accept):  vs = the thread the VirtualSender word names;
 *       vs missing, an interrupt thread, or neither in the sender's space nor the sender in the
 *       receiver's space -> an ordinary send (Pistachio: tag.set_propagated(false));
 *       vs or the receiver on another processor -> error 7, aborted, in the send phase, the
 *       processor number of that thread in the UTCB (below);
 *       else: the receiver accepts the message when it waits for any, for the actual sender
 *       or for vs (Pistachio: "not waiting for actual sender (if propagating IPC)").
 *   transfer (complete):  from = vs, tag with p, ActualSender = the sender; if vs waits in a
 *       closed receive from the sender, it now waits for the receiver.
 * </pre>
 *
 * <h2>One processor only</h2>
 * The redirection rewrites the virtual sender's receive specifier and its published WAIT_FOR
 * word, which senders of other processors read under its TCB lock (8.3.3). This kernel
 * propagates only when the sender, the virtual sender and the receiver are on one processor:
 * then the redirection runs on the virtual sender's own processor, as its own receive path
 * would, and republishes WAIT_FOR under the TCB lock with the receive path's own handshake steps
 * ({@link XpSendHandshake#republishWaitFor}; jcstress: {@code RedirectedWaitStress}). A propagating
 * send that would involve another processor is refused as the thesis refuses a cross-processor
 * IPC the sender asked to abort (section 7.2, design decision 4): error 7 in the send phase,
 * offset 0, nothing transferred, the other processor's number in the UTCB's partner-processor
 * word. A virtual sender that migrates away while the propagating sender polls keeps its wait
 * (the message is still delivered on its behalf, as Pistachio delivers it when the virtual
 * sender does not wait for the sender).
 *
 * <p>Owner CPU only. Allocation-free.
 */
final class Propagation {

    private final IpcPath ipc;

    Propagation(IpcPath ipc) {
        this.ipc = ipc;
    }

    /**
     * The send phase of {@code t} to {@code dest} (not an interrupt thread) asks for propagation:
     * records the accepted virtual sender in {@code t}'s system-call fields, leaves an ordinary
     * send as it is, and returns false when it refused the send ({@code t} failed with error 7).
     */
    boolean accept(Tcb t, Tcb dest) {
        Tcb vs = ipc.kernel.lookup(t.virtualActualSender());
        if (vs == null || vs.hardwareLine() >= 0 || (vs.space() != t.space() && t.space() != dest.space())) {
            return true; // not permitted: an ordinary send (Pistachio clears the p bit)
        }
        int here = ipc.kcpu.index();
        int dcpu = dest.cpuAcquire();
        int vcpu = vs.cpuAcquire();
        if (dcpu != here || vcpu != here) {
            t.setXpPartnerProcessor(ipc.kernel.processorNumber(dcpu != here ? dcpu : vcpu)); // 8.2 numbering
            ipc.fail(t, IpcError.ABORTED, IpcError.PHASE_SEND);
            return false;
        }
        t.setSysVirtualSender(vs);
        return true;
    }

    /**
     * Pistachio transfer_message's fixup_propagation: {@code vs}, the virtual sender of the message
     * {@code sender} just delivered to {@code receiver}, waits for the receiver instead if it waits
     * in a closed receive from the sender. {@code vs} is left alone when it has left this CPU
     * since the send phase.
     */
    void redirect(Tcb vs, Tcb sender, Tcb receiver) {
        if (vs.cpuAcquire() != ipc.kcpu.index()) {
            return;
        }
        ipc.kcpu.touchTcb(vs, Field.STATE, AccessKind.READ);
        if (vs.state() != ThreadState.WAITING || !vs.receiveFrom().equals(sender.id)) {
            return;
        }
        ipc.markAwaited(receiver.id);
        vs.setReceiveFrom(receiver.id);
        XpIpc xp = ipc.xp;
        if (xp != null && vs.waitPublished()) {
            // The receive path's steps for vs (XpMailboxCheck.endReceive): WAIT_FOR under vs's
            // TCB lock, which a sender of another CPU takes before it reads the word
            // (XpSendHandshake.lockOnCpu). The receiver runs here, so no sender of another CPU
            // is the new partner, and endReceive's Dekker with a remote partner is not needed.
            ipc.kcpu.touchTcb(vs, Field.WAIT_FOR, AccessKind.WRITE);
            xp.republishWait(vs, receiver.id.raw());
        }
    }
}
