package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.Syscall;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.space.SpaceIpc;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transmit path of one CPU (thesis 8.3.2): the copy of a message from its sender to its
 * receiver (message registers word by word, string items line by line through the accounting
 * layer, map and grant items validated; across address spaces the space layer copies), the
 * completion of the receive, and XP RETURN's end of a cross-processor send (8.4.1). On one CPU
 * the copying partner is immaterial; across CPUs it runs on the receiver's (implementation
 * decision 2). Owner CPU only; the copy loop allocates nothing.
 */
final class TransmitPath implements StringTransfer.Segments {

    private final IpcPath ipc;

    TransmitPath(IpcPath ipc) {
        this.ipc = ipc;
    }

    /** The ABI whose bits report a crossing in a result tag. */
    private Abi abi() {
        return ipc.kcpu.kernel().config().abi();
    }

    /**
     * Transmits the message of {@code from} to {@code to} (untyped words: the message
     * registers), and completes the receive of {@code to}. {@code to} was waiting for it, or is
     * the invoker of a receive that found {@code from} polling.
     */
    Transfer transmit(Tcb from, Tcb to) {
        Transfer result = copyMessage(from, to, to.mr);
        if (result.faulted()) {
            return result; // a page fault stopped the long IPC (8.3.2): the caller suspends it
        }
        completeReceive(from, to, from.sysTag(), result, false, from.sysVirtualSender());
        return result;
    }

    /**
     * The copy of {@code from}'s message for {@code to} on this CPU (8.3.2 transmit path): the
     * message registers word by word and the string items line by line through the accounting
     * layer; the words land in {@code out} ({@code to.mr}, or a mailbox's staging area when a
     * sender copies, experiment D4). Returns 0 or the two error codes. On one CPU the copying
     * partner is immaterial; across CPUs it runs on the receiver's (implementation decision 2).
     */
    Transfer copyMessage(Tcb from, Tcb to, long[] out) {
        int tag = from.sysTag();
        int u = MsgTag.untyped(tag);
        int t = MsgTag.typed(tag);
        if (from.hardwareLine() < 0) {
            for (int i = 1; i <= u + t; i++) {
                ipc.kcpu.touchMr(from, i, AccessKind.READ);
                ipc.kcpu.touchMr(to, i, AccessKind.WRITE);
            }
        }
        System.arraycopy(from.mr, 1, out, 1, u);
        return t == 0 ? Transfer.DONE : transferTyped(from, to, u, t, out);
    }

    /**
     * Completes the receive of {@code to} (a message of {@code from} with {@code tag} was
     * copied, with {@code result}): its result tag (with the cross-processor bits when
     * {@code crossed}), sender (the virtual sender {@code vs} of a propagated message, else null),
     * error code; {@code to} becomes ready if it was waiting.
     */
    void completeReceive(Tcb from, Tcb to, int tag, Transfer result, boolean crossed, Tcb vs) {
        boolean wasWaiting = to.state() == ThreadState.WAITING;
        if (ipc.xp != null) {
            ipc.xp.unpublishWait(to);
        }
        if (!result.done()) {
            // The transfer had begun: the receiver learns the sender, the sender's tag with E,
            // and the bytes transferred (Pistachio transfer_message / extended_transfer).
            ipc.failTransfer(to, from, tag, result.receiverCode(), IpcError.PHASE_RECEIVE, ipc.strings.bytes(), crossed);
            if (vs != null) {
                // Pistachio transfer_message: a failed propagated transfer still names the
                // virtual sender and sets ActualSender, but redirects no wait.
                to.setResultFrom(vs.id);
                to.setResultTag(to.resultTag() | abi().propagatedFlag());
                to.mr[0] = to.resultTag();
                to.setVirtualActualSender(from.id);
            }
        } else {
            ipc.kcpu.touchTcb(to, Field.PARTNER, AccessKind.WRITE);
            // Propagation (X.2; Pistachio transfer_message): the receiver sees the virtual
            // sender and the p bit, its ActualSender word the sender (see Propagation).
            to.setResultTag((tag & ~(0xF << 12)) | (crossed ? abi().crossedBits(tag) : 0)
                    | (vs != null ? abi().propagatedFlag() : 0));
            to.mr[0] = to.resultTag();
            to.setResultFrom(vs != null ? vs.id : from.id);
            if (vs != null) {
                to.setVirtualActualSender(from.id);
                ipc.propagation.redirect(vs, from, to);
            }
            to.setErrorCode(0);
            to.setReceiveFrom(ThreadId.NIL);
            to.setPartner(from);
            if (!crossed) {
                ipc.counters.increment(ipc.cIpc);
            }
            if (crossed) {
                // The sender waits, locked, on its own CPU (8.4.1) while its message is copied
                // here; it may be migrating (8.5), so this is the CPU it was on when the copy ran
                // (acquire: pairs with the release store of a migration that moved it).
                ipc.kcpu.cpu().log().record(ipc.kcpu.index(), Syscall.EV_IPC_XCPU, ipc.kcpu.cpu().clock(),
                        to.id.number(), Syscall.xcpuSender(from.id.number(), from.cpuAcquire()));
            } else {
                ipc.kcpu.cpu().log().record(ipc.kcpu.index(), Syscall.EV_IPC, ipc.kcpu.cpu().clock(),
                        to.id.number(), from.id.number());
            }
        }
        if (wasWaiting) {
            ipc.kcpu.removeWakeup(to);
            ipc.kcpu.makeReady(to);
        }
    }

    /**
     * XP RETURN (8.3.5, 8.4.1): the cross-processor send of {@code t} finished on the
     * receiver's CPU (processor number {@code processor}) with completion code {@code code};
     * {@code t} fails, or is done (send only: its result tag reports the crossing), or runs its
     * receive phase.
     */
    void xpSendReturned(Tcb t, int code, int processor) {
        ipc.kcpu.writeState(t, ThreadState.READY);
        if (ipc.xp.exchangeRegisters().xpAbortHold.takeReceiveCancel(t, code)) {
            ipc.continueInvoker(t); // exchange-registers canceled the receive phase before it began
            return;
        }
        if (code != 0) {
            t.setWaitPublished(false);
            ipc.failSendWord(t, code);
        } else {
            t.setResultTag(abi().crossedBits(0));
            if (!t.sysFrom().isNil()) {
                t.setWaitPublished(true); // the proxy published the receive (XpIpc.complete)
                ipc.receivePhase(t);
            }
        }
        ipc.continueInvoker(t);
    }

    /**
     * The typed items (X.2, thesis 8.3.2 transmit path): the string items walked against the
     * receiver's string buffers ({@link StringTransfer}), their bytes copied line by line
     * through the accounting layer; map and grant items validated against the receiver's
     * window. Returns 0, or the two error codes ({@link Transfer}); the bytes transferred are
     * the CPU's {@link IpcPath#strings()}'s. In the flat space nothing faults, so no transfer
     * timeout applies (they run from a page fault on, see {@code SpaceIpc}).
     */
    Transfer transferTyped(Tcb from, Tcb to, int u, int t, long[] out) {
        if (SpaceIpc.involves(from, to)) {
            if (out != to.mr) {
                // The sender-side copy experiment (D4) stages on the sender's CPU: typed items
                // between spaces are not staged (their faults and mappings belong to the
                // receiver's CPU, 8.4.2); any non-zero result leaves the copy to the proxy there.
                ipc.strings.setBytes(0);
                return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW);
            }
            // Across address spaces, on the receiver's CPU (the space layer writes to.mr, which
            // is out; cross-processor faults are redone as 8.4.2 says, see SpaceIpc).
            return ipc.kernel.spaces().ipc().transferTyped(ipc.kcpu, from, to, u, t);
        }
        flatTo = to;
        flatClipped = 0;
        Transfer result = ipc.strings.walk(from.mr, u, t, to.br, out, this, 0, 0);
        flatTo = null;
        if (!result.done()) {
            ipc.strings.setBytes(ipc.strings.bytes() + flatClipped); // what a clipped piece copied
        }
        return result;
    }

    /** The receiver of the flat walk in progress (owner CPU only). */
    private Tcb flatTo;
    /** The bytes the last piece of the flat walk copied before it was clipped (owner CPU only). */
    private int flatClipped;

    /**
     * A piece of a string in the flat space, clipped at the end of user memory on either side
     * (see {@link StringTransfer}: what lies inside is copied, then message overflow).
     */
    @Override
    public Transfer copy(long source, long target, int length, int from) {
        long userEnd = ipc.kcpu.cpu().machine().kernelRegion().base();
        int n = Math.min(StringTransfer.copyLimit(source, length, userEnd),
                StringTransfer.copyLimit(target, length, userEnd));
        flatClipped = 0;
        if (n > from) {
            copyString(source + from, target + from, n - from);
        }
        if (n < length) {
            flatClipped = n;
            return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW); // clipped at the end of the user space
        }
        return Transfer.DONE;
    }

    /** A map or grant item in the flat space: validated (a malformed page, or no receive window: overflow). */
    @Override
    public Transfer mapItem(long w0, long w1) {
        if (!TypedItems.validFpage(w1) || !TypedItems.validFpage(TypedItems.receiveWindow(flatTo.br[0]))) {
            return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW); // malformed page, or no receive window
        }
        ipc.counters.increment(ipc.cMapItems);
        return Transfer.DONE;
    }

    /**
     * Copies {@code length} bytes, one line at a time: each source line is read and each
     * destination line written through the accounting layer.
     */
    void copyString(long source, long target, int length) {
        var cpu = ipc.kcpu.cpu();
        var memory = cpu.machine().physicalMemory();
        int line = cpu.machine().config().costModel().lineBytes();
        int done = 0;
        while (done < length) {
            int chunk = Math.min(line - (int) ((source + done) % line), length - done);
            chunk = Math.min(chunk, line - (int) ((target + done) % line));
            cpu.touch(source + done, AccessKind.READ);
            memory.readBytesPlain(source + done, ipc.copyBuffer, 0, chunk);
            memory.writeBytesPlain(target + done, ipc.copyBuffer, 0, chunk);
            cpu.touch(target + done, AccessKind.WRITE);
            done += chunk;
        }
    }
}
