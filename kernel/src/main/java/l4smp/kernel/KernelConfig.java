package l4smp.kernel;

import l4smp.kernel.ipc.Abi;
import l4smp.kernel.space.TlbShootdown;
import l4smp.kernel.thread.TcbLayout;

/**
 * The kernel's tunables.
 *
 * @param tickMicros      the period of the timer tick, in simulated microseconds. While a thread
 *                        runs, each tick is a timer interrupt (kernel entry and exit) that
 *                        charges the thread's timeslice and fires due timeouts (thesis 8.3.4).
 *                        An idle CPU programs its timer for its next timeout only ("tickless").
 * @param timesliceTicks  a thread's timeslice, in ticks
 * @param fpuSwitchCycles cycles of saving one thread's FPU state and restoring another's when a
 *                        thread uses the FPU that another thread owns (thesis 2.4: lazy FPU
 *                        switching). An estimate, not a measurement of the thesis: FXSAVE and
 *                        FXRSTOR move 512 bytes (16 lines of 32 bytes) each way.
 * @param tcbLayout       where TCB fields lie in simulated memory (thesis 8.6)
 * @param xcpuMaxLatencyCycles the longest a cross-processor request may wait for the
 *                        destination's next mailbox check before the sender triggers it with an
 *                        IPI (thesis 8.3.4: "if next check(destination) &lt; max latency"); -1 means
 *                        the cost model's IPI delivery time (an IPI would not be faster)
 * @param copyOnSender    experiment only (PAPER-CLAIMS D4): copy a cross-processor message on the
 *                        sender's CPU when the receiver is already waiting, instead of on the
 *                        receiver's CPU (implementation decision 2, the default and the only
 *                        safe choice: the receive buffers may be written while the receiver's
 *                        timeout fires, the race of 8.3.3)
 * @param shootdownPolicy which CPUs an unmap's TLB shootdown interrupts: all others
 *                        (implementation decision 5, the default) or those whose current space may
 *                        cache the pages (thesis 9.3, option 1)
 * @param plant           tests and hunts only: a race of the thesis re-opened on purpose
 *                        ({@link Plant#NONE}, the default: none)
 * @param abi             the system-call ABI users see: the thesis's (7.2, the default) or X.2's
 *                        (processor numbering, the cross-processor tag bits; see {@link Abi})
 */
public record KernelConfig(double tickMicros, int timesliceTicks, int fpuSwitchCycles,
                           TcbLayout tcbLayout, long xcpuMaxLatencyCycles,
                           boolean copyOnSender, TlbShootdown.Policy shootdownPolicy,
                           Plant plant, Abi abi) {

    /** The configuration in the thesis ABI. */
    public KernelConfig(double tickMicros, int timesliceTicks, int fpuSwitchCycles,
                        TcbLayout tcbLayout, long xcpuMaxLatencyCycles,
                        boolean copyOnSender, TlbShootdown.Policy shootdownPolicy, Plant plant) {
        this(tickMicros, timesliceTicks, fpuSwitchCycles, tcbLayout, xcpuMaxLatencyCycles, copyOnSender,
                shootdownPolicy, plant, Abi.THESIS);
    }

    /** The configuration with no race planted. */
    public KernelConfig(double tickMicros, int timesliceTicks, int fpuSwitchCycles,
                        TcbLayout tcbLayout, long xcpuMaxLatencyCycles,
                        boolean copyOnSender, TlbShootdown.Policy shootdownPolicy) {
        this(tickMicros, timesliceTicks, fpuSwitchCycles, tcbLayout, xcpuMaxLatencyCycles, copyOnSender,
                shootdownPolicy, Plant.NONE);
    }

    /** 1 ms ticks, 10-tick timeslices (the L4 defaults); 300-cycle FPU switch (estimate); grouped TCBs. */
    public static final KernelConfig DEFAULT = new KernelConfig(1000.0, 10, 300, TcbLayout.GROUPED);

    /** The defaults with another tick and timeslice. */
    public KernelConfig(double tickMicros, int timesliceTicks) {
        this(tickMicros, timesliceTicks, 300, TcbLayout.GROUPED);
    }

    /** The defaults with another tick, timeslice and FPU switch cost. */
    public KernelConfig(double tickMicros, int timesliceTicks, int fpuSwitchCycles) {
        this(tickMicros, timesliceTicks, fpuSwitchCycles, TcbLayout.GROUPED);
    }

    /**
     * The defaults for cross-processor IPC (IPI-delivery latency bound, copy on the receiver) and
     * for TLB shootdown (to all other CPUs).
     */
    public KernelConfig(double tickMicros, int timesliceTicks, int fpuSwitchCycles,
                        TcbLayout tcbLayout) {
        this(tickMicros, timesliceTicks, fpuSwitchCycles, tcbLayout, -1, false,
                TlbShootdown.Policy.ALL);
    }

    /** This configuration with another TCB layout. */
    public KernelConfig withTcbLayout(TcbLayout layout) {
        return new KernelConfig(tickMicros, timesliceTicks, fpuSwitchCycles, layout, xcpuMaxLatencyCycles, copyOnSender,
                shootdownPolicy, plant, abi);
    }

    /** This configuration with another latency bound for cross-processor requests (-1: IPI delivery time). */
    public KernelConfig withXcpuMaxLatency(long cycles) {
        return new KernelConfig(tickMicros, timesliceTicks, fpuSwitchCycles, tcbLayout, cycles, copyOnSender,
                shootdownPolicy, plant, abi);
    }

    /** This configuration copying cross-processor messages on the sender's CPU (experiment only, D4). */
    public KernelConfig withCopyOnSender(boolean onSender) {
        return new KernelConfig(tickMicros, timesliceTicks, fpuSwitchCycles, tcbLayout, xcpuMaxLatencyCycles, onSender,
                shootdownPolicy, plant, abi);
    }

    /** This configuration with another TLB shootdown policy. */
    public KernelConfig withShootdownPolicy(TlbShootdown.Policy policy) {
        return new KernelConfig(tickMicros, timesliceTicks, fpuSwitchCycles, tcbLayout, xcpuMaxLatencyCycles, copyOnSender,
                policy, plant, abi);
    }

    /** This configuration with {@code race} re-opened (tests and hunts only; {@link Plant#NONE}: none). */
    public KernelConfig withPlant(Plant race) {
        return new KernelConfig(tickMicros, timesliceTicks, fpuSwitchCycles, tcbLayout, xcpuMaxLatencyCycles, copyOnSender,
                shootdownPolicy, race, abi);
    }

    /** This configuration with the system-call ABI {@code to}. */
    public KernelConfig withAbi(Abi to) {
        return new KernelConfig(tickMicros, timesliceTicks, fpuSwitchCycles, tcbLayout, xcpuMaxLatencyCycles, copyOnSender,
                shootdownPolicy, plant, to);
    }

    public KernelConfig {
        if (!(tickMicros > 0)) {
            throw new IllegalArgumentException("tick period must be > 0 microseconds, got " + tickMicros);
        }
        java.util.Objects.requireNonNull(tcbLayout, "tcbLayout");
        java.util.Objects.requireNonNull(shootdownPolicy, "shootdownPolicy");
        java.util.Objects.requireNonNull(plant, "plant");
        java.util.Objects.requireNonNull(abi, "abi");
        if (fpuSwitchCycles < 0) {
            throw new IllegalArgumentException("FPU switch cost must be >= 0 cycles, got " + fpuSwitchCycles);
        }
        if (timesliceTicks < 1) {
            throw new IllegalArgumentException("timeslice must be >= 1 tick, got " + timesliceTicks);
        }
        if (xcpuMaxLatencyCycles < -1) {
            throw new IllegalArgumentException("XCPU max latency must be >= 0 cycles (or -1 for the IPI delivery time), got "
                    + xcpuMaxLatencyCycles);
        }
    }
}
