package l4smp.emulator;

/** How the simulated CPUs are executed. */
public enum ExecutionMode {
    /** Each CPU is a host platform thread (pinned where possible); the interleaving is the host's. */
    PARALLEL,
    /**
     * Each CPU's dispatcher loop is a continuation; one host thread steps them all, choosing the
     * next by a seeded {@link ScheduleStrategy}. Same seed and options, same run.
     */
    DETERMINISTIC
}
