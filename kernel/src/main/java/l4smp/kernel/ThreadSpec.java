package l4smp.kernel;

import l4smp.kernel.thread.SyscallArgument;

import java.util.Objects;

/**
 * What a new user thread is made of.
 *
 * @param name     for reports and traces
 * @param cpu      the processor it starts on, as a logical index (its processor number minus one,
 *                 0..k-1): the SMP boot (thesis 8.2) maps it to the physical CPU that took that
 *                 number. Without failed CPUs it is the CPU's index; with one masked out, the
 *                 indices above it shift down, and an index of k or more fails the thread
 * @param priority 0..255 (higher runs first)
 * @param daemon   a daemon thread (a server) does not keep the run alive: the run ends when every
 *                 non-daemon thread has ended
 * @param program  its body
 */
public record ThreadSpec(String name, int cpu, int priority, boolean daemon, UserProgram program)
        implements SyscallArgument {

    public static final int DEFAULT_PRIORITY = 100;

    /**
     * The program of an inactive thread (X.2 ThreadControl without a start): it has none until
     * exchange-registers gives it one ({@code L4.startThread}). Never run.
     */
    public static final UserProgram NO_ENTRY = () -> {
        throw new IllegalStateException("an inactive thread has no program");
    };

    public ThreadSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(program, "program");
        if (priority < 0 || priority > 255) {
            throw new IllegalArgumentException("thread priority must be 0..255, got " + priority + " for " + name);
        }
    }

    public static ThreadSpec of(String name, int cpu, UserProgram program) {
        return new ThreadSpec(name, cpu, DEFAULT_PRIORITY, false, program);
    }

    public static ThreadSpec daemon(String name, int cpu, UserProgram program) {
        return new ThreadSpec(name, cpu, DEFAULT_PRIORITY, true, program);
    }

    /** A thread created inactive: it runs once exchange-registers gives it a program and resumes it. */
    public static ThreadSpec inactive(String name, int cpu, int priority, boolean daemon) {
        return new ThreadSpec(name, cpu, priority, daemon, NO_ENTRY);
    }

    /** Whether the thread is created without a program ({@link #inactive}). */
    public boolean isInactive() {
        return program == NO_ENTRY;
    }
}
