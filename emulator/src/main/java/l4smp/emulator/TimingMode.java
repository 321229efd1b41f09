package l4smp.emulator;

/**
 * How parallel mode keeps simulated time: whether the CPUs' interactions through shared memory
 * happen in simulated-time order (as under the deterministic stepper) or in host order.
 * Deterministic mode is always in order: its stepper picks the CPU with the lowest clock.
 */
public enum TimingMode {
    /**
     * Conservative: a CPU performs an interaction with shared state (an interleaving point:
     * every accounted access, mailbox post and spin-wait check) only when no other CPU can still
     * act at an earlier simulated time; it waits (host time) until then. The parallel run tells
     * the same simulated time as a seeded run of the same scenario.
     */
    EXACT,
    /**
     * Host order: interleaving points do not wait; a CPU may act up to the slack ahead of a
     * CPU that still interacts with it in its past. Each such case is counted and reported as
     * a timing correction with the lead it had.
     */
    LAX;

    /** The mode named {@code name} ({@code exact} or {@code lax}). */
    public static TimingMode parse(String name) {
        return switch (name) {
            case "exact" -> EXACT;
            case "lax" -> LAX;
            default -> throw new IllegalArgumentException("timing must be exact or lax, got '" + name + "'");
        };
    }

    /** The name used on the command line and in reports. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
