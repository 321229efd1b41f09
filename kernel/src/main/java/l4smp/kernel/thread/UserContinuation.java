package l4smp.kernel.thread;

import jdk.internal.vm.Continuation;

/**
 * The continuation that runs a thread's program (its {@link Tcb#entry()}) in the
 * {@link Tcb#USER_SCOPE}: started at the entry when the thread first runs, suspended at every
 * kernel entry (a trap yields it), resumed when the thread returns to user mode.
 *
 * <p>A new instruction pointer (ExchangeRegisters with i on a thread that runs its program) is
 * {@link #restart}: the suspended continuation is dropped and a fresh one starts at the thread's
 * entry when the thread next returns to user mode. Only the user-level frames are dropped: the
 * kernel never runs inside a user continuation (its paths run on the CPU's dispatcher after the
 * trap), so no kernel lock, queue entry or cross-processor request belongs to them; the
 * thread's kernel state (an IPC in progress, a timeout, a fault IPC) stays with the TCB and
 * completes as for any thread, as Pistachio completes a system call before it returns to the
 * new instruction pointer ({@code perform_exregs} writes the user frame's ip and unwinds an IPC
 * only for the S and R bits).
 *
 * <p>Thread contract: owner CPU only (the thread's current CPU), like the TCB's local fields.
 */
public final class UserContinuation {

    private final Runnable body;
    private Continuation current;

    UserContinuation(Runnable body) {
        this.body = body;
        this.current = new Continuation(Tcb.USER_SCOPE, body);
    }

    /** The continuation the dispatcher runs next. */
    public Continuation current() {
        return current;
    }

    /** Whether the program has ended. */
    public boolean isDone() {
        return current.isDone();
    }

    /**
     * Whether the continuation is mounted on the calling host thread now (the kernel was entered
     * from inside it without a trap): then it cannot be dropped.
     */
    public boolean runningHere() {
        return Continuation.getCurrentContinuation(Tcb.USER_SCOPE) == current;
    }

    /**
     * Drops the suspended continuation: the program starts again at the thread's entry when the
     * thread next runs in user mode. The caller makes sure it is not {@link #runningHere}.
     */
    public void restart() {
        current = new Continuation(Tcb.USER_SCOPE, body);
    }
}
