package l4smp.bench.reproduce;

import java.util.ArrayList;
import java.util.List;

import l4smp.emulator.cache.experiments.SpinlockContention;
import l4smp.emulator.cache.experiments.SpinlockContention.Result;
import l4smp.emulator.cache.experiments.SpinlockContention.Variant;
import l4smp.emulator.cost.CostModel;

/**
 * D5 of docs/thesis-claims.md (appendix A): under contention a test-and-test-and-set spinlock causes
 * far fewer invalidations than a plain test-and-set spin. Both run the same workload
 * ({@link SpinlockContention}); the verdict compares the invalidations the memory system
 * counted. "Far fewer" is taken as less than half.
 */
public final class SpinlockExperiment {
    private SpinlockExperiment() { }

    /** TTAS holds when it causes fewer than this fraction of TAS's invalidations. */
    public static final double FAR_FEWER = 0.5;
    /** Contending CPUs of the headline row. */
    public static final int CPUS = 4;
    /** Lock acquisitions per CPU. */
    public static final int ACQUISITIONS = 50;
    /** Read-modify-write pairs on shared data inside the critical section. */
    public static final int CRITICAL_STEPS = 16;
    /** Private accesses between a release and the next acquire. */
    public static final int THINK_STEPS = 4;

    /** The headline D5 row: {@value #CPUS} CPUs. */
    public static ReproduceRow d5(CostModel model) {
        return row(model, CPUS);
    }

    /** D5 for 2, 3, 4 and 8 CPUs. With 2 CPUs there is one spinner, whose TAS spins hit its own M line. */
    public static List<ReproduceRow> d5Sweep(CostModel model) {
        List<ReproduceRow> rows = new ArrayList<>();
        for (int cpus : new int[] {2, 3, 4, 8}) {
            rows.add(row(model, cpus));
        }
        return rows;
    }

    private static ReproduceRow row(CostModel model, int cpus) {
        Result tas = SpinlockContention.run(model, Variant.TEST_AND_SET, cpus, ACQUISITIONS, CRITICAL_STEPS, THINK_STEPS);
        Result ttas = SpinlockContention.run(model, Variant.TEST_AND_TEST_AND_SET, cpus, ACQUISITIONS, CRITICAL_STEPS,
                THINK_STEPS);
        double ratio = (double) ttas.invalidations() / tas.invalidations();
        String claim = String.format("TTAS/TAS invalidations, %d CPUs (%d vs %d)", cpus, ttas.invalidations(),
                tas.invalidations());
        return new ReproduceRow("D5", claim, "appendix A", Double.NaN, ratio, ratio, ratio < FAR_FEWER,
                "ratio of invalidations");
    }

    /** Both results, for a detailed report. */
    public static List<Result> results(CostModel model, int cpus) {
        return List.of(
                SpinlockContention.run(model, Variant.TEST_AND_SET, cpus, ACQUISITIONS, CRITICAL_STEPS, THINK_STEPS),
                SpinlockContention.run(model, Variant.TEST_AND_TEST_AND_SET, cpus, ACQUISITIONS, CRITICAL_STEPS,
                        THINK_STEPS));
    }
}
