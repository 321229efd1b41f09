package l4smp.kernel;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Per interrupt line: the interrupts raised while no handler was attached, held until one
 * attaches. Any CPU (volatile read-modify-writes).
 *
 * <p>An interrupt raised while its line has no handler (thesis 2.4: the handler is the interrupt
 * thread's pager, set by the attach) is held, as a level-triggered line stays asserted while
 * masked, and delivered when a handler attaches. Without this, an interrupt could be lost in
 * parallel mode although its handler attached earlier in simulated time: CPUs run up to the
 * slack apart, so the CPU that takes the interrupt may look at the line before the handler's
 * CPU, behind it in host time, has run the attach. Dekker between the two:
 *
 * <pre>
 *   interrupt's CPU                         attaching CPU
 *   held[line]++ (volatile RMW)             irq.pager = handler
 *   full fence                              full fence
 *   handler attached now?                   n = getAndSet(held[line], 0); deliver n
 *     no:  the attach delivers it
 *     yes: take one back (CAS down from &gt; 0) and deliver it as usual; none left to take
 *          back: the attach took it and delivers it
 * </pre>
 *
 * Either side sees the other, and each held interrupt is delivered exactly once. The interrupt's
 * side is {@code KernelCpu.deviceInterrupt}, the attaching side {@code ThreadControlPath}.
 */
final class HeldInterrupts {

    private final AtomicLongArray held;

    HeldInterrupts(int lines) {
        this.held = new AtomicLongArray(lines);
    }

    /** Holds one interrupt of {@code line} (no handler seen). Any CPU. */
    void holdVolatile(int line) {
        held.getAndIncrement(line);
    }

    /** Takes back one held interrupt of {@code line} for delivery here; false if none is left. Any CPU. */
    boolean reclaimVolatile(int line) {
        long v = held.get(line);
        while (v > 0) {
            if (held.compareAndSet(line, v, v - 1)) {
                return true;
            }
            v = held.get(line);
        }
        return false;
    }

    /** Takes every held interrupt of {@code line} (the attach). Any CPU. */
    long takeAllVolatile(int line) {
        return held.getAndSet(line, 0);
    }
}
