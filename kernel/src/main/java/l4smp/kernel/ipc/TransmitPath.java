package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpu;
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
final class TransmitPath {

    private final IpcPath ipc;

    TransmitPath(IpcPath ipc) {
        this.ipc = ipc;
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
        completeReceive(from, to, from.sysTag(), result, false);
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
     * {@code crossed}), sender, error code; {@code to} becomes ready if it was waiting.
     */
    void completeReceive(Tcb from, Tcb to, int tag, Transfer result, boolean crossed) {
        boolean wasWaiting = to.state() == ThreadState.WAITING;
        if (ipc.xp != null) {
            ipc.xp.unpublishWait(to);
        }
        if (!result.done()) {
            ipc.fail(to, result.receiverCode(), IpcError.PHASE_RECEIVE);
        } else {
            ipc.kcpu.touchTcb(to, Field.PARTNER, AccessKind.WRITE);
            to.setResultTag((tag & ~(0xF << 12)) | (crossed ? MsgTag.crossedBits(tag) : 0));
            to.mr[0] = to.resultTag();
            to.setResultFrom(from.id);
            to.setErrorCode(0);
            to.setReceiveFrom(ThreadId.NIL);
            to.setPartner(from);
            if (!crossed) {
                ipc.counters.increment(ipc.cIpc);
            }
            ipc.kcpu.cpu().log().record(ipc.kcpu.index(), Syscall.EV_IPC, ipc.kcpu.cpu().clock(), to.id.number(), from.id.number());
        }
        if (wasWaiting) {
            ipc.kcpu.wakeups().remove(to);
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
            t.setErrorCode(code);
            ipc.failWord(t, code);
        } else {
            t.setResultTag(MsgTag.crossedBits(0));
            if (!t.sysFrom().isNil()) {
                t.setWaitPublished(true); // the proxy published the receive (XpIpc.complete)
                ipc.receivePhase(t);
            }
        }
        ipc.continueInvoker(t);
    }

    /**
     * The typed items (X.2, thesis 8.3.2 transmit path): strings are copied into the receiver's
     * string buffers, line by line through the accounting layer, bounded by the transfer
     * timeout (the smaller of the sender's send and the receiver's receive transfer timeout);
     * map and grant items are validated against the receiver's window. Returns 0, or the two
     * error codes ({@link Transfer}).
     */
    Transfer transferTyped(Tcb from, Tcb to, int u, int t, long[] out) {
        if (SpaceIpc.involves(from, to)) {
            if (out != to.mr) {
                // The sender-side copy experiment (D4) stages on the sender's CPU: typed items
                // between spaces are not staged (their faults and mappings belong to the
                // receiver's CPU, 8.4.2); any non-zero result leaves the copy to the proxy there.
                return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW);
            }
            // Across address spaces, on the receiver's CPU (the space layer writes to.mr, which
            // is out; cross-processor faults are redone as 8.4.2 says, see SpaceIpc).
            return ipc.kernel.spaces().ipc().transferTyped(ipc.kcpu, from, to, u, t);
        }
        if ((t & 1) != 0) {
            return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW); // an item is two words
        }
        long xfer = Math.min(from.xferTimeoutSend(), to.xferTimeoutReceive());
        long deadline = Timeout.deadline(ipc.kcpu.cpu().clock(), xfer);
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
                        return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW); // no (big enough) receive buffer
                    }
                    long target = to.br[buffer + 1];
                    buffer += 2;
                    if (!userRange(w1, length) || !userRange(target, length)) {
                        return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW); // outside the (flat) user space
                    }
                    Transfer result = copyString(w1, target, length, deadline);
                    if (!result.done()) {
                        return result;
                    }
                    out[i] = (long) length << 10 | TypedItems.STRING;
                    out[i + 1] = target;
                }
                case TypedItems.MAP, TypedItems.GRANT -> {
                    if (!TypedItems.validFpage(w1) || !TypedItems.validFpage(to.br[0] & ~TypedItems.ACCEPT_STRINGS)) {
                        return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW); // malformed page, or no receive window
                    }
                    out[i] = w0;
                    out[i + 1] = w1;
                    ipc.counters.increment(ipc.cMapItems);
                }
                default -> {
                    return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW);
                }
            }
        }
        return Transfer.DONE;
    }

    /**
     * Copies {@code length} bytes, one line at a time: each source line is read and each
     * destination line written through the accounting layer. When the transfer timeout expires
     * after a read, it expired in the sender's space (the sender is told "in the invoker's
     * space", the receiver "in the partner's"); after a write, the other way round.
     */
    Transfer copyString(long source, long target, int length, long deadline) {
        var cpu = ipc.kcpu.cpu();
        var memory = cpu.machine().physicalMemory();
        int line = cpu.machine().config().costModel().lineBytes();
        int done = 0;
        while (done < length) {
            int chunk = Math.min(line - (int) ((source + done) % line), length - done);
            chunk = Math.min(chunk, line - (int) ((target + done) % line));
            cpu.touch(source + done, AccessKind.READ);
            if (cpu.clock() > deadline) {
                return Transfer.failed(IpcError.XFER_TIMEOUT_INVOKER, IpcError.XFER_TIMEOUT_PARTNER);
            }
            memory.readBytesPlain(source + done, ipc.copyBuffer, 0, chunk);
            memory.writeBytesPlain(target + done, ipc.copyBuffer, 0, chunk);
            cpu.touch(target + done, AccessKind.WRITE);
            if (cpu.clock() > deadline) {
                return Transfer.failed(IpcError.XFER_TIMEOUT_PARTNER, IpcError.XFER_TIMEOUT_INVOKER);
            }
            done += chunk;
        }
        return Transfer.DONE;
    }

    boolean userRange(long address, int length) {
        return address >= 0 && address + length <= ipc.kcpu.cpu().machine().kernelRegion().base();
    }
}
