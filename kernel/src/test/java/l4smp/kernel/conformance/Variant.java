package l4smp.kernel.conformance;

import l4smp.emulator.ExecutionMode;

import java.util.ArrayList;
import java.util.List;

/**
 * One way to run a conformance case: the execution mode, where the parties of the case run, and
 * the seed of a deterministic run.
 *
 * <p>A case names its threads by party: party 0 is the first thread it creates (a server, a
 * receiver, a pager), party 1 the second (a client, a sender, a faulting thread), and so on. With
 * {@link Placement#LOCAL} every party runs on CPU 0; with {@link Placement#CROSS} party {@code p}
 * runs on CPU {@code p % 2} of a two-CPU machine, so every pair of neighbouring parties talks
 * across processors (thesis 8.3.3, 8.4).
 */
public record Variant(ExecutionMode mode, Placement placement, long seed) {

    /** Where the parties of a case run. */
    public enum Placement {
        /** All parties on one CPU: the local paths of thesis 8.3.2. */
        LOCAL,
        /** Neighbouring parties on different CPUs: the cross-processor paths of 8.3.3 and 8.4. */
        CROSS
    }

    /** The number of CPUs the machine needs. */
    public int cpus() {
        return placement == Placement.LOCAL ? 1 : 2;
    }

    /** The CPU that party {@code party} runs on. */
    public int cpuOf(int party) {
        return placement == Placement.LOCAL ? 0 : party % 2;
    }

    /** True when neighbouring parties run on different CPUs. */
    public boolean cross() {
        return placement == Placement.CROSS;
    }

    /**
     * The variants every case runs in: both placements, each seeded under two seeds and once in
     * parallel mode (a host thread per CPU).
     */
    public static List<Variant> all() {
        List<Variant> all = new ArrayList<>();
        for (Placement p : Placement.values()) {
            all.add(new Variant(ExecutionMode.DETERMINISTIC, p, 1));
            all.add(new Variant(ExecutionMode.DETERMINISTIC, p, 2));
            all.add(new Variant(ExecutionMode.PARALLEL, p, 0));
        }
        return all;
    }

    @Override
    public String toString() {
        return placement.name().toLowerCase() + ", "
                + (mode == ExecutionMode.DETERMINISTIC ? "seed " + seed : "parallel");
    }
}
