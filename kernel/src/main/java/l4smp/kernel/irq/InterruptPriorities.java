package l4smp.kernel.irq;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The priorities of the interrupt threads, by line: 255 at boot (the interrupt TCBs'), set by
 * Schedule on an interrupt thread (X.2: an interrupt thread is scheduled like any thread).
 *
 * <p>Thread contract: any CPU may schedule an interrupt thread, so each word is read and
 * exchanged with volatile semantics: of two concurrent Schedule calls on one line each sees the
 * other's priority or the one before, never a torn or lost one.
 */
public final class InterruptPriorities {

    /** An interrupt thread's priority at boot. */
    public static final int AT_BOOT = 255;

    private final AtomicIntegerArray priorities;

    public InterruptPriorities(int lines) {
        priorities = new AtomicIntegerArray(lines);
        for (int i = 0; i < lines; i++) {
            priorities.set(i, AT_BOOT);
        }
    }

    /** The priority of line {@code line}'s thread. Any CPU. */
    public int volatileOf(int line) {
        return priorities.get(line);
    }

    /** Sets the priority of line {@code line}'s thread, returning the one before. Any CPU. */
    public int exchangeVolatile(int line, int priority) {
        return priorities.getAndSet(line, priority);
    }
}
