package l4smp.kernel.ipc;

import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.thread.SyscallArgument;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.xcpu.AbortJoin;
import l4smp.kernel.xcpu.Mailbox;

/**
 * One exchange-registers operation: the arguments, the result, and on the target's CPU the
 * state of the abort it runs (the shared mailbox of 8.4.3: the request and the unwind point
 * to it).
 */
public final class XpExregsOperation implements SyscallArgument, Mailbox.ExregsOperation {
    final Tcb caller;
    final ExchangeRegisters.Request request;
    /** The result (written on the target's CPU, read on the caller's after the reply). */
    ExchangeRegisters.Result result;
    /** The request mailbox l->d, or null when the caller runs it on its own CPU. */
    Mailbox requestMailbox;
    // ---- the target's CPU only: the hold of an abort in flight --------------------------
    Tcb target;
    ExchangeRegisters.Result before;
    boolean canceled;
    /** The unwind mailbox d->b (null: no unwind, only the reply is awaited). */
    Mailbox unwind;
    /** The target's send mailbox that the unwind judges. */
    Mailbox sendMailbox;
    /** Both answers of the abort (the unwind's and the target's send reply). */
    final AbortJoin join = new AbortJoin();
    /** Operations on the same target waiting behind this one (FIFO). */
    XpExregsOperation deferredHead;
    XpExregsOperation deferredTail;
    XpExregsOperation nextDeferred;

    /** ThreadControl's delete of the target (run on its CPU like any operation here). */
    final boolean delete;

    XpExregsOperation(Tcb caller, ExchangeRegisters.Request request) {
        this(caller, request, false);
    }

    XpExregsOperation(Tcb caller, ExchangeRegisters.Request request, boolean delete) {
        this.caller = caller;
        this.request = request;
        this.delete = delete;
    }
}
