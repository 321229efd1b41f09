package l4smp.emulator.cpu;

import l4smp.emulator.apic.Interrupt;

/**
 * The hook through which a kernel runs on a simulated CPU. The emulator knows nothing of L4:
 * the kernel implements this interface, one instance per CPU, and the CPU's duty cycle calls it.
 *
 * <p>Thread contract: every method is called on the owner CPU only (its host thread in parallel
 * mode, its continuation in deterministic mode); a dispatcher's per-CPU state needs no
 * synchronisation. The methods must not block the host thread: they wait only through the
 * CPU's waiting primitives ({@link Cpu#spinWaitUntil}, {@link l4smp.emulator.cpu.CpuBarrier}).
 */
public interface Dispatcher {

    /** {@link #nextEvent} when the CPU has no pending timer event. */
    long NO_EVENT = Long.MAX_VALUE;

    /** Called once on the CPU before its first duty cycle. */
    default void onStart(Cpu cpu) {
    }

    /**
     * One duty cycle of work: pick the next runnable thread, run it until it traps, handle the
     * trap; fire due timer events. Returns the amount of work done, 0 when there was nothing to
     * do (the CPU then idles until an interrupt arrives or its next timer event is due).
     */
    int doWork(Cpu cpu);

    /**
     * The interrupt handler: runs on the target CPU when it takes an IPI. The CPU sends the EOI
     * when the handler returns, unless the handler did so itself ({@link Interrupt#eoi()}).
     */
    void onInterrupt(Cpu cpu, Interrupt interrupt);

    /** The simulated cycle of this CPU's next timer event, or {@link #NO_EVENT}. */
    long nextEvent(Cpu cpu);

    /** Called once on the CPU after its last duty cycle (also when it failed). */
    default void onStop(Cpu cpu) {
    }
}
