package l4smp.emulator.cpu;

/**
 * A condition a CPU waits for with {@link Cpu#spinWaitUntil(SpinCondition, String)}.
 *
 * <p>Implementations read shared state with acquire (or stronger) loads, so that what the CPU
 * does after the wait sees everything the thread that made the condition true did before it.
 * Callers pre-allocate their conditions: a wait on a hot path must not allocate a lambda.
 */
@FunctionalInterface
public interface SpinCondition {
    /** Whether the wait is over. Called by the waiting CPU, any number of times. */
    boolean isSatisfied();
}
