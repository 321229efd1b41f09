package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.Plant;
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
 * How an IPC of one CPU ends other than by its partner: its timeout fires (8.7.3), its partner
 * ends or is gone, the thread migrates away in the middle of it (8.5, 8.7.2), or exchange-registers
 * cancels it (X.2). Owner CPU only.
 */
final class IpcEnds {

    private final IpcPath ipc;

    IpcEnds(IpcPath ipc) {
        this.ipc = ipc;
    }

    /** A timeout of {@code t} expired (fired by the CPU's wakeup queue). */
    public void timeoutExpired(Tcb t) {
        if (t.kernelResume() == KernelResume.RETRY_SCHEDULE) {
            ipc.kcpu.makeReady(t); // a schedule call's backoff ended (Migration): it runs again
            return;
        }
        if (t.fault() != null && ipc.kernel.spaces().ipc().timeoutExpired(ipc.kcpu, t)) {
            return; // the transfer timeout of a long IPC suspended by a page fault
        }
        if (t.xpMailbox() != null) {
            ipc.xp.proxy().proxyTimeout(t); // a proxy's send deadline (8.3.5)
            return;
        }
        if (t.state() == ThreadState.POLLING) {
            Tcb dest = t.partner();
            if (dest != null && t.inSendQueue()) {
                IpcPath.dequeueSender(dest, t);
            }
            stopMailboxWait(t);
            ipc.failSendWord(t, IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND)); // its own tag with E
            ipc.kcpu.makeReady(t);
        } else if (t.state() == ThreadState.WAITING) {
            ipc.fail(t, IpcError.TIMEOUT, IpcError.PHASE_RECEIVE);
            ipc.kcpu.makeReady(t);
        }
    }

    /**
     * {@code dead} is gone: it leaves the send queue it polls in; every thread of this CPU that
     * polls to send to it, or waits in a closed receive from it, fails with "non-existing
     * partner".
     */
    public void threadGone(Tcb dead, Iterable<Tcb> threadsOfThisCpu) {
        if (dead.inSendQueue() && dead.partner() != null) {
            IpcPath.dequeueSender(dead.partner(), dead);
        }
        while (dead.sendQueueHead() != null) {
            Tcb s = dead.sendQueueHead();
            IpcPath.dequeueSender(dead, s);
            if (ipc.xp != null && s.cpuAcquire() != ipc.kcpu.index()) {
                ipc.xp.proxy().receiverGone(s); // its proxy polls here: the sender learns it by its reply
                continue;
            }
            ipc.kcpu.removeWakeup(s);
            ipc.fail(s, IpcError.NO_PARTNER, IpcError.PHASE_SEND);
            ipc.kcpu.makeReady(s);
        }
        for (Tcb t : threadsOfThisCpu) {
            ipc.propagation.adoptRedirectedWait(t); // a propagation of another CPU may have redirected it
            if (t.state() == ThreadState.WAITING && t.receiveFrom().equals(dead.id)) {
                ipc.kcpu.removeWakeup(t);
                ipc.fail(t, IpcError.NO_PARTNER, IpcError.PHASE_RECEIVE);
                ipc.kcpu.makeReady(t);
            }
        }
    }

    /**
     * {@code t} waits in a closed receive from a thread that is gone (it ended on another CPU):
     * the receive fails with "non-existing partner". Owner CPU of {@code t} only.
     */
    public void partnerGone(Tcb t) {
        ipc.kcpu.removeWakeup(t);
        if (ipc.xp != null) {
            ipc.xp.unpublishWait(t);
        }
        ipc.fail(t, IpcError.NO_PARTNER, IpcError.PHASE_RECEIVE);
        ipc.kcpu.makeReady(t);
    }

    /**
     * {@code t} migrates away from this CPU (thesis 8.5, 8.7; the source's part B): if it polls
     * to send to a thread here, it leaves that send queue and runs its IPC again on its new CPU;
     * every sender polling in its own send queue goes on to the new CPU: a local sender runs its
     * IPC again (its send phase had transferred nothing), the proxy of a remote sender answers
     * "retarget" ({@link XpIpc#RETARGET}). No sender is lost, no message delivered twice.
     */
    public void migrateOut(Tcb t) {
        if (t.state() == ThreadState.POLLING) {
            if (t.inSendQueue() && t.partner() != null) {
                ipc.kcpu.touchTcb(t.partner(), Field.SEND_QUEUE, AccessKind.WRITE);
                IpcPath.dequeueSender(t.partner(), t);
            }
            keepRemainingSendTimeout(t);
            ipc.kcpu.removeWakeup(t);
            ipc.kcpu.writeState(t, ThreadState.READY);
            t.setKernelResume(KernelResume.RETRY_IPC);
        }
        // 8.5 race 3: the senders waiting in t's send queue go along with it (planted: they
        // stay queued where t was, their proxies polling a queue that t no longer serves).
        while (t.sendQueueHead() != null && ipc.kernel.config().plant() != Plant.MIGRATE_QUEUED) {
            Tcb s = t.sendQueueHead();
            ipc.kcpu.touchTcb(t, Field.SEND_QUEUE, AccessKind.WRITE);
            ipc.kcpu.touchTcb(s, Field.SEND_LINKS, AccessKind.WRITE);
            IpcPath.dequeueSender(t, s);
            if (ipc.xp != null && s.cpuAcquire() != ipc.kcpu.index()) {
                ipc.xp.proxy().receiverLeft(s); // its proxy polls here (8.5 race 3)
                continue;
            }
            keepRemainingSendTimeout(s);
            ipc.kcpu.removeWakeup(s);
            s.setState(ThreadState.READY);
            s.setKernelResume(KernelResume.RETRY_IPC);
            ipc.kcpu.makeReady(s);
        }
    }

    /**
     * A polling sender whose IPC runs again after a migration keeps what is left of its send
     * timeout, as a waiting thread keeps its timeout (8.7.3): the send timeout counts from the
     * send, not from the retry. A deadline already reached leaves timeout 0 (the retry succeeds
     * only with a receiver ready at once). A sender with no timeout armed (NEVER, or a receiver
     * that counted as receptive) keeps its argument.
     */
    void keepRemainingSendTimeout(Tcb s) {
        if (s.wakeupIndex() >= 0) {
            s.setSysSendTimeout(Math.max(Timeout.ZERO, s.wakeupTime() - ipc.kcpu.cpu().clock()));
        }
    }

    /**
     * Cancels the IPC of {@code t} in the phase {@code phase} if it is in it (exchange-registers,
     * X.2: error code 3, "canceled"). Returns whether an IPC was canceled.
     */
    public boolean cancel(Tcb t, int phase) {
        if (phase == IpcError.PHASE_SEND && t.state() == ThreadState.POLLING) {
            if (t.inSendQueue() && t.partner() != null) {
                IpcPath.dequeueSender(t.partner(), t);
            }
            stopMailboxWait(t);
            ipc.kcpu.removeWakeup(t);
            ipc.failSendWord(t, IpcError.word(IpcError.CANCELED, IpcError.PHASE_SEND)); // its own tag with E
            ipc.kcpu.makeReady(t);
            return true;
        }
        if (phase == IpcError.PHASE_RECEIVE && t.state() == ThreadState.WAITING) {
            ipc.kcpu.removeWakeup(t);
            ipc.fail(t, IpcError.CANCELED, IpcError.PHASE_RECEIVE);
            ipc.kcpu.makeReady(t);
            return true;
        }
        return false;
    }

    /** A cross-processor send that waits for a free mailbox ends its wait: its IPC is not run again. */
    private void stopMailboxWait(Tcb t) {
        if (ipc.xp != null && t.mailboxWaitCpu() >= 0) {
            ipc.xp.mailboxWait().leave(t);
            t.setKernelResume(KernelResume.NONE);
        }
    }
}
