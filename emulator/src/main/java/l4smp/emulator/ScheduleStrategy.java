package l4smp.emulator;

/** How the deterministic stepper chooses the CPU that runs next (at every interleaving point). */
public enum ScheduleStrategy {
    /** The runnable CPU with the lowest simulated clock; ties broken by the seed (exact timing). */
    LOWEST_CLOCK,
    /** A uniformly random runnable CPU within the slack bound (race hunting). */
    RANDOM;

    public static ScheduleStrategy parse(String text) {
        return switch (text.toLowerCase(java.util.Locale.ROOT)) {
            case "lowest-clock", "lowest_clock", "clock" -> LOWEST_CLOCK;
            case "random" -> RANDOM;
            default -> throw new IllegalArgumentException(
                    "unknown schedule strategy '" + text + "' (known: lowest-clock, random)");
        };
    }
}
