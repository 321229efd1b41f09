package l4smp.kernel;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.SingleWriterAccessPlan;
import l4smp.emulator.cpu.Cpu;
import l4smp.kernel.ipc.IpcPath;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.thread.ThreadState;

/**
 * What the kernel paths of one CPU (the {@code ipc}, {@code space} and {@code migrate} packages)
 * may do to that CPU's kernel ({@link KernelCpu}): enter and remove threads in its ready list and
 * wakeup queue, make a thread ready or hint the next switch, and charge TCB and UTCB accesses
 * through the accounting layer. The scheduler's structures themselves ({@code ReadyList},
 * {@code WakeupQueue}) stay inside {@link KernelCpu}: a path changes them only through these
 * operations, each of which keeps the structure's invariants (a thread in at most one ready list,
 * a wakeup index valid for this CPU's queue only).
 *
 * <p>A CPU's kernel hands its port to its paths at construction, and to the space layer's entry
 * points as an argument; no other code holds one (the user facade, bench and the lower layers
 * see {@link KernelCpu}'s public view only).
 *
 * <p>Thread contract: owner CPU only, like everything of {@link KernelCpu} (implementation
 * decision 3). The thread arguments of the list and queue operations are threads of this CPU.
 */
public interface KernelCpuPort {

    /** The kernel this CPU belongs to. */
    Kernel kernel();

    /** The simulated CPU. */
    Cpu cpu();

    /** The physical CPU index. */
    int index();

    /** The thread running in user mode on this CPU now, or null. */
    Tcb current();

    /** The IPC path of this CPU. */
    IpcPath ipcPath();

    /** Puts {@code t} at the head of its priority's ready list (it continues before its peers). */
    void enqueueReadyHead(Tcb t);

    /** Enters {@code t} at the tail of its priority's ready list, unless it is listed already. */
    void enqueueReadyTail(Tcb t);

    /** Takes {@code t} out of the ready list if it is in it. */
    void removeReady(Tcb t);

    /** Enters {@code t} in this CPU's wakeup queue at absolute cycle {@code at} (moves it if queued). */
    void addWakeup(Tcb t, long at);

    /** Takes {@code t} out of this CPU's wakeup queue if it is in it. */
    void removeWakeup(Tcb t);

    /** Makes {@code t} ready at the tail of its priority (charges its state and ready links). */
    void makeReady(Tcb t);

    /**
     * Makes {@code t} (of this CPU, waiting, in no ready list) ready as the partner of the IPC
     * fast path's direct switch, as {@link #makeReady} does but leaving its ready-list entry to
     * the dispatcher: the fast path's caller hands it over (as the invoker's partner), and the
     * dispatcher switches to it at once or else enters it at the tail of its priority as
     * {@link #makeReady} would have, before anything reads the ready list. The caller has just
     * made {@link #makeReady}'s charges ({@link #planHandOff}'s entries in a plan of its own,
     * nothing charged or clocked since). Only the IPC fast path, at a trap.
     */
    void handOffCharged(Tcb t);

    /**
     * {@link #makeReady}'s charges of TCB {@code who} (0: a, 1: b) when it is in no ready list (its
     * STATE word, the list head, its links), as {@link #chargePlan} entries: {@link #handOffCharged}'s.
     */
    int[] planHandOff(int who);

    /**
     * A plan entry for {@link #chargePlan}: an access of {@code kind} to message register
     * {@code i} of TCB {@code who}'s UTCB (0: a, 1: b), as {@link #touchMr} charges it.
     */
    int planMr(int who, int i, AccessKind kind);

    /** Asks the dispatcher to run {@code t} next if it is ready and not outranked. */
    void setSwitchHint(Tcb t);

    /** A closed receive of this CPU may wait for a thread that is gone: check at the next dispatch. */
    void requestPartnerGoneCheck();

    /** Charges an access of this CPU to field {@code f} of {@code t}'s TCB. */
    void touchTcb(Tcb t, TcbLayout.Field f, AccessKind kind);

    /** Charges an access to message register {@code i} in {@code t}'s UTCB. */
    void touchMr(Tcb t, int i, AccessKind kind);

    /**
     * A plan entry for {@link #chargePlan}: an access of {@code kind} to field {@code f} of its
     * TCB {@code who} (0: a, 1: b).
     */
    int planTcb(int who, TcbLayout.Field f, AccessKind kind);

    /**
     * Charges {@code plan} ({@link #planTcb} entries) with {@code a} and {@code b} as its TCBs
     * (they may be one): exactly the {@link #touchTcb} calls it lists, in its order; as one run
     * of the CPU when both are this CPU's threads.
     */
    void chargePlan(Tcb a, Tcb b, SingleWriterAccessPlan plan);

    /**
     * Charges the copy of message registers 1 to {@code u} from {@code from} to {@code to}: for
     * each i in turn {@link #touchMr}{@code (from, i, READ)} and {@link #touchMr}{@code (to, i, WRITE)}.
     */
    void chargeMrCopy(Tcb from, Tcb to, int u);

    /** Writes {@code t}'s thread state and charges the write of its STATE word (8.6). */
    void writeState(Tcb t, ThreadState s);

    /** Writes {@code t}'s partner and charges the write of its PARTNER word (8.6). */
    void writePartner(Tcb t, Tcb partner);
}
