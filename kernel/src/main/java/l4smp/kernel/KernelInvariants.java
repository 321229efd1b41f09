package l4smp.kernel;

import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadState;

import java.util.ArrayList;
import java.util.List;

/**
 * The scheduler invariants that migration (thesis 8.7) must keep, checked after a run: every
 * live thread is linked in the structures of one CPU only, the CPU its {@code cpu} field names;
 * it is in at most one ready list, one wakeup queue and one send queue, each at most once; a
 * thread that is ready (not halted, no kernel path pending) is in its CPU's ready list: no
 * thread is lost; a send waiting for a free mailbox is linked once in its CPU's FIFO of them.
 *
 * <p>Call when the machine has stopped (it reads every CPU's structures from the calling thread).
 */
public final class KernelInvariants {

    private KernelInvariants() {
    }

    /** The violations found (empty when the invariants hold). */
    public static List<String> check(Kernel kernel) {
        List<String> bad = new ArrayList<>();
        List<Tcb> threads = kernel.liveThreads();
        int cpus = kernel.machine().cpuCount();
        for (Tcb t : threads) {
            int home = t.cpuAcquire();
            int readyTotal = 0;
            int wakeupTotal = 0;
            for (int c = 0; c < cpus; c++) {
                KernelCpu k = kernel.kernelCpu(c);
                if (k == null) {
                    continue;
                }
                int r = k.readyList().occurrences(t);
                int w = k.wakeups().occurrences(t);
                readyTotal += r;
                wakeupTotal += w;
                if ((r > 0 || w > 0) && c != home) {
                    bad.add(t + " is in the structures of CPU " + c + " but its cpu field says " + home);
                }
            }
            if (readyTotal > 1) {
                bad.add(t + " is linked " + readyTotal + " times in ready lists");
            }
            if ((readyTotal == 1) != t.inReadyList()) {
                bad.add(t + ": inReadyList " + t.inReadyList() + " but linked " + readyTotal + " times");
            }
            if (wakeupTotal > 1) {
                bad.add(t + " is " + wakeupTotal + " times in wakeup queues");
            }
            if ((wakeupTotal == 1) != (t.wakeupIndex() >= 0)) {
                bad.add(t + ": wakeup index " + t.wakeupIndex() + " but queued " + wakeupTotal + " times");
            }
            if (t.state() == ThreadState.READY && !t.halted() && t.kernelResume() == KernelResume.NONE && !t.inReadyList()
                    && t.continuation.isDone() == false && readyTotal == 0 && !runningOrHinted(kernel, t)) {
                bad.add(t + " is ready on CPU " + home + " but in no ready list (lost)");
            }
            // A halted thread may be dropped from the ready list with its kernel path pending
            // (an XP reply that came while it was halted): resume lists it again.
            if (t.kernelResume() != KernelResume.NONE && t.state() == ThreadState.READY && !t.halted() && !t.inReadyList()
                    && !runningOrHinted(kernel, t)) {
                bad.add(t + " has a kernel path to finish but is in no ready list (lost)");
            }
            int queued = 0;
            for (Tcb r : threads) {
                int guard = 0;
                for (Tcb s = r.sendQueueHead(); s != null && guard <= threads.size(); s = s.sendNext(), guard++) {
                    if (s == t) {
                        queued++;
                        if (t.partner() != r) {
                            bad.add(t + " is in the send queue of " + r + " but sends to " + t.partner());
                        }
                    }
                }
            }
            if (queued > 1) {
                bad.add(t + " is in " + queued + " send-queue places");
            }
            if ((queued == 1) != t.inSendQueue()) {
                bad.add(t + ": inSendQueue " + t.inSendQueue() + " but queued " + queued + " times");
            }
            if (t.mailboxWaitCpu() >= 0 && t.mailboxHandoff() == null) {
                // A send waiting for a mailbox: POLLING, in exactly one FIFO, that of its CPU.
                int linked = 0;
                KernelCpu k = kernel.kernelCpu(home);
                if (k != null && k.ipcPath().xp() != null) {
                    int guard = 0;
                    for (Tcb w = k.ipcPath().xp().mailboxWait().firstWaiter(t.mailboxWaitCpu(), t.mailboxWaitForReply()); w != null
                            && guard <= threads.size(); w = w.mailboxWaitNext(), guard++) {
                        linked += w == t ? 1 : 0;
                    }
                }
                if (linked != 1 || t.state() != ThreadState.POLLING) {
                    bad.add(t + " waits for a mailbox to CPU " + t.mailboxWaitCpu() + " in state " + t.state()
                            + " but is linked " + linked + " times in its CPU's mailbox FIFO (lost)");
                }
            }
        }
        return bad;
    }

    private static boolean runningOrHinted(Kernel kernel, Tcb t) {
        KernelCpu k = kernel.kernelCpu(t.cpuAcquire());
        return k != null && (k.current() == t || k.threadInHand() == t);
    }
}
