package l4smp.kernel.api;

import l4smp.kernel.thread.SyscallArgument;
import l4smp.kernel.thread.SyscallResult;
import l4smp.kernel.thread.ThreadId;

/**
 * The control word and result of the ExchangeRegisters system call (L4 X.2, 3.3). Control bits:
 * <ul>
 *   <li>{@link #HALT} (h): halt the thread; {@link #RESUME}: resume a halted thread;</li>
 *   <li>{@link #CANCEL_RECEIVE} (r) / {@link #CANCEL_SEND} (s): cancel an ongoing receive / send
 *       phase: the thread's IPC fails with error code 3 ("canceled") in that phase;</li>
 *   <li>{@link #SET_SP}, {@link #SET_IP}, {@link #SET_FLAGS}, {@link #SET_USER_HANDLE},
 *       {@link #SET_PAGER}: write the given value;</li>
 * </ul>
 * The result carries the values before the call. The target may be on any processor: across
 * processors the request runs on the target's processor (implementation decision 3), and a
 * cancel aborts an IPC in flight across processors with unwind proxies (thesis 8.4.3; see
 * {@code l4smp.kernel.ipc.XpExchangeRegisters}). A canceled IPC fails with error 3 ("canceled")
 * in its phase, on one processor or across several alike.
 */
public final class ExchangeRegisters {

    public static final int HALT = 1;
    public static final int CANCEL_RECEIVE = 1 << 1;
    public static final int CANCEL_SEND = 1 << 2;
    public static final int SET_SP = 1 << 3;
    public static final int SET_IP = 1 << 4;
    public static final int SET_FLAGS = 1 << 5;
    public static final int SET_USER_HANDLE = 1 << 6;
    public static final int SET_PAGER = 1 << 7;
    public static final int RESUME = 1 << 9;
    public static final int ALL = HALT | CANCEL_RECEIVE | CANCEL_SEND | SET_SP | SET_IP | SET_FLAGS
            | SET_USER_HANDLE | SET_PAGER | RESUME;

    private ExchangeRegisters() {
    }

    /** The arguments, as the trap carries them. */
    public record Request(ThreadId dest, int control, long sp, long ip, long flags, long userHandle, ThreadId pager)
            implements SyscallArgument {
    }

    /**
     * The result: {@code thread} is the target's id, or {@link ThreadId#NIL} when the call failed
     * (then {@code errorCode} says why: 2 = unavailable thread); the other fields are the
     * target's values before the call, and {@code halted} / {@code state} its condition;
     * {@code canceled}: this call canceled an IPC of the target (an emulator extension of X.2, so
     * that a program can tell "aborted" from "the IPC had completed"; of two concurrent cancels of
     * one IPC exactly one reports it).
     */
    public record Result(ThreadId thread, int errorCode, long sp, long ip, long flags, long userHandle,
                         ThreadId pager, boolean halted, String state, boolean canceled) implements SyscallResult {
        public boolean ok() {
            return !thread.isNil();
        }
    }
}
