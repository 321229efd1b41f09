package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.SyscallArgument;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.AbortJoin;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.XcpuFabric;

/**
 * The results of an exchange-registers call (X.2) and the registers it writes: the snapshot of
 * the target before the call, the result of an operation (with X.2's canceled flag when it
 * canceled an IPC), and the call run locally when caller and target share a CPU. Owner CPU of
 * the target.
 */
final class ExregsResults {

    private ExregsResults() {
    }

    static ExchangeRegisters.Result unavailable() {
        return failed(ExchangeRegisters.UNAVAILABLE_THREAD, "unavailable");
    }

    static ExchangeRegisters.Result failed(int errorCode, String why) {
        return new ExchangeRegisters.Result(ThreadId.NIL, errorCode, 0, 0, 0, 0, ThreadId.NIL, false, why, false, 0);
    }

    /**
     * Whether {@code r} cannot be applied to {@code d}: an entry program (with i, the new
     * instruction pointer) for the caller itself, whose continuation makes this call, or for a
     * thread whose continuation is running on this host thread now (never, as the kernel runs
     * outside user continuations; checked so that a running one is never dropped).
     */
    static boolean invalid(Tcb caller, Tcb d, ExchangeRegisters.Request r) {
        return r.entry() != null && (r.control() & ExchangeRegisters.SET_IP) != 0 && !d.inactive()
                && (d == caller || d.continuation.runningHere());
    }

    static ExchangeRegisters.Result snapshot(Tcb d, boolean canceled) {
        return new ExchangeRegisters.Result(d.id, 0, d.sp(), d.ip(), d.flags(), d.userHandle(), d.pager(), d.halted(),
                d.state().name(), canceled, control(d));
    }

    /**
     * The returned control word (X.2; Pistachio {@code perform_exregs}'s {@code old_control}): H
     * the thread is halted (or inactive), R it is in a receive phase, S in a send phase (polling
     * here, or its cross-processor send in a proxy's hands).
     */
    static int control(Tcb d) {
        int c = d.halted() ? ExchangeRegisters.HALT : 0;
        if (d.state() == ThreadState.WAITING) {
            c |= ExchangeRegisters.CANCEL_RECEIVE;
        } else if (d.state() == ThreadState.POLLING
                || (d.state() == ThreadState.LOCKED_WAITING && !(d.sysArgument() instanceof XpExregsOperation))) {
            c |= ExchangeRegisters.CANCEL_SEND;
        }
        return c;
    }

    static ExchangeRegisters.Result result(XpExregsOperation op) {
        return op.canceled ? withCanceled(op.before) : op.before;
    }

    static ExchangeRegisters.Result withCanceled(ExchangeRegisters.Result b) {
        return new ExchangeRegisters.Result(b.thread(), 0, b.sp(), b.ip(), b.flags(), b.userHandle(), b.pager(),
                b.halted(), b.state(), true, b.control());
    }

    /**
     * Writes the registers the control word selects; halts or resumes (h with H / h without H).
     * An entry program with i starts an inactive thread once it is resumed; a thread that runs
     * its program already resumes at the new entry instead of where it trapped, when it next
     * returns to user mode ({@link l4smp.kernel.thread.UserContinuation#restart}): an IPC it is
     * in goes on unless S or R canceled it (Pistachio {@code perform_exregs}: {@code set_user_ip},
     * and {@code unwind} only for the send and receive flags), and it returns to the new entry
     * when that IPC ends.
     */
    static void applyRegisters(KernelCpuPort kcpu, Tcb caller, Tcb d, ExchangeRegisters.Request r) {
        int c = r.control();
        if ((c & ExchangeRegisters.SET_SP) != 0) {
            d.setSp(r.sp());
        }
        if ((c & ExchangeRegisters.SET_IP) != 0) {
            d.setIp(r.ip());
            if (r.entry() != null) {
                boolean running = !d.inactive();
                d.setEntry(r.entry());
                if (running) {
                    d.continuation.restart();
                }
            }
        }
        if ((c & ExchangeRegisters.SET_FLAGS) != 0) {
            d.setFlags(r.flags());
        }
        if ((c & ExchangeRegisters.SET_USER_HANDLE) != 0) {
            d.setUserHandle(r.userHandle());
        }
        if ((c & ExchangeRegisters.SET_PAGER) != 0) {
            d.setPager(r.pager());
        }
        if ((c & ExchangeRegisters.SET_HALT) == 0) {
            return; // H applies only with h
        }
        if ((c & ExchangeRegisters.HALT) != 0) {
            d.setHalted(true);
        } else if (d.halted() && !d.inactive()) {
            d.setHalted(false);
            if (d.state() == ThreadState.READY && d != caller) {
                kcpu.enqueueReadyTail(d);
            }
        }
    }
}
