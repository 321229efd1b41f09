package l4smp.emulator;

/** How the deterministic stepper chooses the CPU that runs next (at every interleaving point). */
public enum ScheduleStrategy {
    /** The runnable CPU with the lowest simulated clock; ties broken by the seed (exact timing). */
    LOWEST_CLOCK,
    /** A uniformly random runnable CPU within the slack bound (race hunting). */
    RANDOM,
    /**
     * Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): the runnable CPU
     * within the slack bound with the highest of its seeded random priorities, with d - 1
     * priority change points per run ({@link PctSchedule}). Race hunting with a known bound.
     */
    PCT;

    public static ScheduleStrategy parse(String text) {
        return switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "lowest-clock", "lowest_clock", "clock" -> LOWEST_CLOCK;
            case "random" -> RANDOM;
            case "pct" -> PCT;
            default -> throw new IllegalArgumentException(
                    "unknown schedule strategy '" + text + "' (known: lowest-clock, random, pct)");
        };
    }
}
