package l4smp.emulator.apic;

/**
 * An interrupt as its handler sees it: vector, source CPU, and simulated times. Valid only
 * inside {@link l4smp.emulator.cpu.Dispatcher#onInterrupt}, on the target CPU (it is one of the
 * target's two pre-allocated LINT slots, reused after the EOI).
 */
public interface Interrupt {
    /** The interrupt vector, 0..255. */
    int vector();

    /** The CPU that sent it. */
    int sourceCpu();

    /** The sender's clock when its ICR write completed. */
    long sentAt();

    /** The simulated cycle at which it reached this CPU's local APIC. */
    long arrivalTime();

    /** Sends the end-of-interrupt: frees the LINT slot for the next sender. Idempotent. */
    void eoi();
}
