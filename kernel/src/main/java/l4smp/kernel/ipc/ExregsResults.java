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
        return new ExchangeRegisters.Result(ThreadId.NIL, XpExchangeRegisters.UNAVAILABLE_THREAD, 0, 0, 0, 0, ThreadId.NIL, false,
                "unavailable", false);
    }

    static ExchangeRegisters.Result snapshot(Tcb d, boolean canceled) {
        return new ExchangeRegisters.Result(d.id, 0, d.sp(), d.ip(), d.flags(), d.userHandle(), d.pager(), d.halted(),
                d.state().name(), canceled);
    }

    static ExchangeRegisters.Result result(XpExchangeRegisters.Operation op) {
        return op.canceled ? withCanceled(op.before) : op.before;
    }

    static ExchangeRegisters.Result withCanceled(ExchangeRegisters.Result b) {
        return new ExchangeRegisters.Result(b.thread(), 0, b.sp(), b.ip(), b.flags(), b.userHandle(), b.pager(),
                b.halted(), b.state(), true);
    }

    /** Writes the registers the control word selects; halts or resumes. */
    static void applyRegisters(KernelCpuPort kcpu, Tcb caller, Tcb d, ExchangeRegisters.Request r) {
        int c = r.control();
        if ((c & ExchangeRegisters.SET_SP) != 0) {
            d.setSp(r.sp());
        }
        if ((c & ExchangeRegisters.SET_IP) != 0) {
            d.setIp(r.ip());
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
        if ((c & ExchangeRegisters.HALT) != 0) {
            d.setHalted(true);
        } else if ((c & ExchangeRegisters.RESUME) != 0 && d.halted()) {
            d.setHalted(false);
            if (d.state() == ThreadState.READY && d != caller) {
                kcpu.enqueueReadyTail(d);
            }
        }
    }
}
