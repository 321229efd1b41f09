package l4smp.bench.runner;

import java.util.Arrays;
import java.util.Locale;

/**
 * The verdict of a goal "ratio at most G" from several repeated, interleaved measurements of a
 * ratio on a host whose load varies: the goal is met only if every repetition met it, missed
 * only if every repetition missed it; otherwise the spread straddles the goal and the host was
 * too noisy to decide. A ratio below 1 (the kernel faster than its own lower bound) means the
 * baseline was disturbed: no verdict either. One noisy repetition thus never flips the verdict
 * between "met" and "NOT met"; it can only make it undecidable.
 *
 * <p>Immutable.
 *
 * @param median the median ratio
 * @param min    the smallest ratio
 * @param max    the largest ratio
 * @param n      the repetitions
 */
public record SpreadVerdict(double median, double min, double max, int n) {

    /** The verdict's word. */
    public enum Outcome { MET, NOT_MET, UNDECIDED }

    /** The spread of {@code ratios} (one per repetition; not changed). */
    public static SpreadVerdict of(double[] ratios) {
        if (ratios.length == 0) {
            throw new IllegalArgumentException("no repetitions");
        }
        double[] r = ratios.clone();
        Arrays.sort(r);
        return new SpreadVerdict(LocalRoundTripBench.median(r.clone()), r[0], r[r.length - 1], r.length);
    }

    /** The spread of the ratios {@code numerators[i] / denominators[i]} of interleaved repetitions. */
    public static SpreadVerdict ofRatios(double[] numerators, double[] denominators) {
        if (numerators.length != denominators.length) {
            throw new IllegalArgumentException("unpaired repetitions: " + numerators.length + " and " + denominators.length);
        }
        double[] r = new double[numerators.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = numerators[i] / denominators[i];
        }
        return of(r);
    }

    /** The verdict against the goal "at most {@code goal}". */
    public Outcome against(double goal) {
        if (min < 1.0) {
            return Outcome.UNDECIDED;
        }
        if (max <= goal) {
            return Outcome.MET;
        }
        if (min > goal) {
            return Outcome.NOT_MET;
        }
        return Outcome.UNDECIDED;
    }

    /**
     * The verdict against the goal "at most {@code goal}" for a ratio of two measurements of the
     * same work, neither of them a lower bound of the other (parallel against seeded host time):
     * a ratio below 1 is a result, not a disturbed baseline, so only the goal decides.
     */
    public Outcome againstCeiling(double goal) {
        if (max <= goal) {
            return Outcome.MET;
        }
        if (min > goal) {
            return Outcome.NOT_MET;
        }
        return Outcome.UNDECIDED;
    }

    /**
     * The verdict against the goal "at least {@code goal}" (a throughput, or a ratio of
     * throughputs that should stay high): met only if every repetition reached it, missed only if
     * none did.
     */
    public Outcome againstFloor(double goal) {
        if (min >= goal) {
            return Outcome.MET;
        }
        if (max < goal) {
            return Outcome.NOT_MET;
        }
        return Outcome.UNDECIDED;
    }

    /** {@link #describe} for {@link #againstCeiling}. */
    public String describeCeiling(double goal) {
        String verdict = switch (againstCeiling(goal)) {
            case MET -> "met in every run";
            case NOT_MET -> "NOT met in any run";
            case UNDECIDED -> "undecidable: the spread straddles the goal; the host is too noisy to judge";
        };
        return String.format(Locale.ROOT, "ratio %.2f (%.2f-%.2f over %d runs), goal <= %.1f: %s",
                median, min, max, n, goal, verdict);
    }

    /** "ratio 2.10 (1.95-2.40 over 7 runs), goal <= 2.0: ..." with the verdict in words. */
    public String describe(double goal) {
        String verdict = switch (against(goal)) {
            case MET -> "met in every run";
            case NOT_MET -> "NOT met in any run";
            case UNDECIDED -> min < 1.0
                    ? "undecidable: a ratio below 1 means a disturbed baseline; rerun on a quieter host"
                    : "undecidable: the spread straddles the goal; the host is too noisy to judge";
        };
        return String.format(Locale.ROOT, "ratio %.2f (%.2f-%.2f over %d runs), goal <= %.1f: %s",
                median, min, max, n, goal, verdict);
    }

    /** "%.2f (%.2f-%.2f)": the median and the range. */
    public String range() {
        return String.format(Locale.ROOT, "%.2f (%.2f-%.2f)", median, min, max);
    }
}
