package l4smp.kernel;

import l4smp.kernel.ipc.XpIpc;
import l4smp.kernel.thread.Tcb;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Read access to the kernel's own statistics beyond the machine's counters, for reports and
 * benchmarks: the simulated cycles of the parts of the cross-processor IPC path and the
 * exchange-registers statistics of each CPU. Read after the machine has stopped (the figures are
 * written plainly by their CPUs; the machine's stop orders them before the read).
 */
public final class KernelStatistics {

    /** Parts of the XP path ({@link #xpCycles}): the indices of its array. */
    public static final int XP_SEND_PATH = 0;
    public static final int XP_CHECK_N_ACK = 1;
    public static final int XP_PROXY = 2;
    public static final int XP_COPY = 3;
    public static final int XP_RETURN = 4;
    /** The number of XP path parts. */
    public static final int XP_PARTS = 5;

    private final Kernel kernel;

    KernelStatistics(Kernel kernel) {
        this.kernel = kernel;
    }

    /**
     * Simulated cycles CPU {@code cpu} spent in each part of the XP path ({@link #XP_SEND_PATH}
     * .. {@link #XP_RETURN}); all zero on a one-CPU machine.
     */
    public long[] xpCycles(int cpu) {
        XpIpc xp = kernel.kernelCpu(cpu).ipcPath().xp();
        return xp == null ? new long[XP_PARTS] : xp.cyclesAfterRun();
    }

    /**
     * The mailbox checks (check_n_ack, 8.3.4) of CPU {@code cpu}: how many ran and the cycles
     * they took, {@code {checks, cycles}}; zeros on a one-CPU machine.
     */
    public long[] mailboxChecks(int cpu) {
        XpIpc xp = kernel.kernelCpu(cpu).ipcPath().xp();
        return xp == null ? new long[2] : new long[] {xp.checksAfterRun(), xp.cyclesAfterRun()[XP_CHECK_N_ACK]};
    }

    /** CPU {@code cpu}'s exchange-registers statistics (see {@code XpExchangeRegisters.S_...}). */
    public long[] exchangeRegistersStats(int cpu) {
        XpIpc xp = kernel.kernelCpu(cpu).ipcPath().xp();
        return xp == null ? new long[0] : xp.exchangeRegisters().statsAfterRun();
    }

    /** The exchange-registers holds (aborts in flight, 8.4.3) CPU {@code cpu} still keeps. */
    public int exchangeRegistersHolds(int cpu) {
        XpIpc xp = kernel.kernelCpu(cpu).ipcPath().xp();
        return xp == null ? 0 : xp.exchangeRegisters().holdsAfterRun();
    }

    /**
     * The names of every user thread the run created, by thread number: the live ones and those
     * that ended (thread numbers are not reused), so a trace names a short-lived thread too.
     */
    public Map<Integer, String> threadNames() {
        return names(kernel.threadLifecycle.threadsEverCreated());
    }

    private static Map<Integer, String> names(List<Tcb> threads) {
        Map<Integer, String> names = new TreeMap<>();
        for (Tcb t : threads) {
            names.put(t.id.number(), t.name);
        }
        return names;
    }
}
