package l4smp.kernel.api;

import l4smp.kernel.thread.SyscallArgument;
import l4smp.kernel.thread.SyscallResult;
import l4smp.kernel.thread.ThreadId;

/**
 * The control word and result of the ExchangeRegisters system call (L4 X.2, 3.3 "ExchangeRegisters";
 * Pistachio {@code kernel/src/api/v4/exregs.cc}, {@code exregs_ctrl_t}). Control bits, as X.2 lays
 * them out ({@code d h p u f i s S R H}, bit 9 down to bit 0):
 * <ul>
 *   <li>{@link #HALT} (H, bit 0): the halt flag's new value, applied only with {@link #SET_HALT}
 *       (h, bit 8): h with H halts the thread, h without H resumes it (X.2: "h: the halt flag is
 *       set to H"); H alone changes nothing;</li>
 *   <li>{@link #CANCEL_RECEIVE} (R) / {@link #CANCEL_SEND} (S): cancel an ongoing receive / send
 *       phase: the thread's IPC fails with error code 3 ("canceled") in that phase;</li>
 *   <li>{@link #SET_SP} (s), {@link #SET_IP} (i), {@link #SET_FLAGS} (f), {@link #SET_USER_HANDLE}
 *       (u), {@link #SET_PAGER} (p): write the given value. With i, an entry program
 *       ({@code L4.exchangeRegisters} with a {@code UserProgram}) is the continuation analogue of
 *       a new instruction pointer: it starts an inactive thread (created without one) where it
 *       runs once resumed, and a thread that runs its program continues at it when it next
 *       returns to user mode (its suspended continuation dropped; an IPC in progress goes on
 *       unless R or S cancels it, as Pistachio's {@code perform_exregs});</li>
 *   <li>{@link #DELIVER} (d, bit 9): deliver the thread's registers; accepted and without
 *       effect here, the result carries them always.</li>
 * </ul>
 * The result carries the values before the call and the returned control word
 * ({@link Result#control()}: {@link #HALT} the thread was halted, {@link #CANCEL_RECEIVE} it was
 * receiving, {@link #CANCEL_SEND} it was sending; Pistachio's {@code old_control}). The target
 * may be on any processor: across processors the request runs on the target's processor
 * (implementation decision 3), and a cancel aborts an IPC in flight across processors with
 * unwind proxies (thesis 8.4.3; see {@code l4smp.kernel.ipc.XpExchangeRegisters}). A canceled
 * IPC fails with error 3 ("canceled") in its phase, on one processor or across several alike.
 */
public final class ExchangeRegisters {

    /** H: the halt flag's value (applied with {@link #SET_HALT}). */
    public static final int HALT = 1;
    public static final int CANCEL_RECEIVE = 1 << 1;
    public static final int CANCEL_SEND = 1 << 2;
    public static final int SET_SP = 1 << 3;
    public static final int SET_IP = 1 << 4;
    public static final int SET_FLAGS = 1 << 5;
    public static final int SET_USER_HANDLE = 1 << 6;
    public static final int SET_PAGER = 1 << 7;
    /** h: set the halt flag to {@link #HALT}'s value. */
    public static final int SET_HALT = 1 << 8;
    /** d: deliver the registers (they are always delivered here). */
    public static final int DELIVER = 1 << 9;
    /** h without H: resume a halted thread (start an inactive one that has its entry). */
    public static final int RESUME = SET_HALT;
    /** h with H: halt the thread. */
    public static final int HALT_THREAD = SET_HALT | HALT;
    public static final int ALL = HALT | CANCEL_RECEIVE | CANCEL_SEND | SET_SP | SET_IP | SET_FLAGS
            | SET_USER_HANDLE | SET_PAGER | SET_HALT | DELIVER;

    /** X.2 error code: no such thread (a stale or unknown id). */
    public static final int UNAVAILABLE_THREAD = 2;
    /**
     * X.2 error code "invalid parameter": an entry program for the caller itself (its own
     * continuation makes the call and cannot be dropped while it runs).
     */
    public static final int INVALID_PARAMETER = 5;

    private ExchangeRegisters() {
    }

    /**
     * The arguments, as the trap carries them; {@code entry} (may be null) the program an inactive
     * thread starts with (with {@link #SET_IP}).
     */
    public record Request(ThreadId dest, int control, long sp, long ip, long flags, long userHandle, ThreadId pager,
                          java.util.concurrent.Callable<?> entry)
            implements SyscallArgument {
    }

    /**
     * The result: {@code thread} is the target's id, or {@link ThreadId#NIL} when the call failed
     * (then {@code errorCode} says why: {@link #UNAVAILABLE_THREAD}, {@link #INVALID_PARAMETER});
     * the other fields are the target's values before the call, {@code halted} / {@code state}
     * its condition and {@code control} the returned control word (H, R, S bits);
     * {@code canceled}: this call canceled an IPC of the target (an emulator extension of X.2, so
     * that a program can tell "aborted" from "the IPC had completed"; of two concurrent cancels of
     * one IPC exactly one reports it).
     */
    public record Result(ThreadId thread, int errorCode, long sp, long ip, long flags, long userHandle,
                         ThreadId pager, boolean halted, String state, boolean canceled, int control)
            implements SyscallResult {
        public boolean ok() {
            return !thread.isNil();
        }

        /** This result naming the target by {@code id} (the id form the caller gets). */
        public Result withThread(ThreadId id) {
            return new Result(id, errorCode, sp, ip, flags, userHandle, pager, halted, state, canceled, control);
        }
    }
}
