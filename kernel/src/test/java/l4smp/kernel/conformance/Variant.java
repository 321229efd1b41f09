package l4smp.kernel.conformance;

import l4smp.emulator.ExecutionMode;
import l4smp.kernel.ipc.Abi;

import java.util.ArrayList;
import java.util.List;

/**
 * One way to run a conformance case: the execution mode, where the parties of the case run, the
 * seed of a deterministic run, and the system-call ABI the kernel offers ({@link Abi}: the
 * thesis's 7.2 or X.2's).
 *
 * <p>A case names its threads by party: party 0 is the first thread it creates (a server, a
 * receiver, a pager), party 1 the second (a client, a sender, a faulting thread), and so on. With
 * {@link Placement#LOCAL} every party runs on CPU 0; with {@link Placement#CROSS} party {@code p}
 * runs on CPU {@code p % 2} of a two-CPU machine, so every pair of neighbouring parties talks
 * across processors (thesis 8.3.3, 8.4).
 */
public record Variant(ExecutionMode mode, Placement placement, long seed, Abi abi) {

    /** A variant in the thesis ABI (the kernel's default). */
    public Variant(ExecutionMode mode, Placement placement, long seed) {
        this(mode, placement, seed, Abi.THESIS);
    }

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

    /**
     * {@link #all()} under both ABIs: for the cases whose expected values depend on the ABI
     * (processor numbers, the cross-processor bits of a tag).
     */
    public static List<Variant> allAbis() {
        List<Variant> all = new ArrayList<>();
        for (Abi abi : Abi.values()) {
            for (Variant v : all()) {
                all.add(v.withAbi(abi));
            }
        }
        return all;
    }

    /** This variant under {@code to}. */
    public Variant withAbi(Abi to) {
        return new Variant(mode, placement, seed, to);
    }

    /**
     * The processor number this variant's ABI gives the CPU of party {@code party}: the CPU
     * index plus one (thesis 7.2: 1..k) or the index itself (X.2: 0..k-1).
     */
    public int processorOf(int party) {
        return abi.userProcessor(cpuOf(party));
    }

    @Override
    public String toString() {
        return placement.name().toLowerCase() + ", "
                + (mode == ExecutionMode.DETERMINISTIC ? "seed " + seed : "parallel") + ", " + abi.optionName() + " ABI";
    }
}
