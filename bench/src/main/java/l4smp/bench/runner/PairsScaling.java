package l4smp.bench.runner;

import l4smp.emulator.MachineConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The figures of {@code l4smp bench --what scaling}: operations per host second of
 * {@code pingpong --pairs N --cpus N} (N independent local client/server pairs, one per CPU,
 * parallel mode) for each N of a list, with the accounting layer off and on, and the scaling
 * factor of each N against N = 1, taken per interleaved iteration (the runs of one iteration for
 * every N and both settings follow each other within the same seconds, so a disturbance of the
 * host hits them alike). The measuring is the command's; this class parses the list of N and
 * turns given measurements into figures, so that both are testable without host timing.
 *
 * <p>Not thread-safe: one thread (the command's) fills and reads it.
 */
public final class PairsScaling {

    /** The default list of N. */
    public static final String DEFAULT_PAIRS_LIST = "1,2,4,8,15";

    /** The two accounting settings, in the order of their figures: {@code off}, then {@code on}. */
    public static final List<String> ACCOUNTING = List.of("off", "on");

    private final int[] pairs;

    /** {@code opsPerSecond[a][k][i]}: accounting setting a, pairs[k], iteration i. */
    private final double[][][] opsPerSecond;

    /**
     * @param pairs      the N measured, as {@link #parsePairsList} gives them (1 first)
     * @param iterations the measured iterations of each
     */
    public PairsScaling(int[] pairs, int iterations) {
        if (pairs.length == 0 || pairs[0] != 1) {
            throw new IllegalArgumentException("the list of pairs must start with 1 (the base of the scaling factor)");
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("no iterations");
        }
        this.pairs = pairs.clone();
        this.opsPerSecond = new double[ACCOUNTING.size()][pairs.length][iterations];
    }

    /**
     * Parses {@code --pairs-list}: comma-separated positive integers, each at most the simulated
     * CPU maximum ({@value MachineConfig#MAX_CPUS}), no one twice, 1 among them; returned sorted
     * ascending (so 1 first).
     *
     * @throws IllegalArgumentException with a one-line message naming the problem
     */
    public static int[] parsePairsList(String list) {
        if (list == null || list.isBlank()) {
            throw new IllegalArgumentException("option '--pairs-list' must be a comma-separated list of pair counts, got '"
                    + list + "'");
        }
        List<Integer> out = new ArrayList<>();
        for (String word : list.split(",", -1)) {
            String w = word.strip();
            int n;
            try {
                n = Integer.parseInt(w);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("option '--pairs-list': '" + w + "' is not a whole number (in '"
                        + list + "')");
            }
            if (n < 1 || n > MachineConfig.MAX_CPUS) {
                throw new IllegalArgumentException("option '--pairs-list': " + n + " pairs is outside 1-"
                        + MachineConfig.MAX_CPUS + " (one simulated CPU per pair, at most " + MachineConfig.MAX_CPUS
                        + " CPUs)");
            }
            if (out.contains(n)) {
                throw new IllegalArgumentException("option '--pairs-list': " + n + " given twice (in '" + list + "')");
            }
            out.add(n);
        }
        if (!out.contains(1)) {
            throw new IllegalArgumentException("option '--pairs-list' must include 1, the base of the scaling factor, got '"
                    + list + "'");
        }
        return out.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The N measured, ascending. */
    public int[] pairs() {
        return pairs.clone();
    }

    /** Records one run: {@code ops} operations in {@code hostSeconds} with {@code pairs[k]} pairs. */
    public void record(boolean accounting, int k, int iteration, long ops, double hostSeconds) {
        if (!(hostSeconds > 0)) {
            throw new IllegalArgumentException("a run of " + ops + " operations took no host time: " + hostSeconds);
        }
        opsPerSecond[accounting ? 1 : 0][k][iteration] = ops / hostSeconds;
    }

    /** Operations per host second of {@code pairs[k]} pairs over the iterations. */
    public SpreadVerdict opsPerSecond(boolean accounting, int k) {
        return SpreadVerdict.of(opsPerSecond[accounting ? 1 : 0][k]);
    }

    /** Operations per host second of {@code pairs[k]} pairs over those of 1 pair, per iteration. */
    public SpreadVerdict factor(boolean accounting, int k) {
        double[][] a = opsPerSecond[accounting ? 1 : 0];
        return SpreadVerdict.ofRatios(a[k], a[0]);
    }

    /** The stable name prefix of one setting and N: {@code scaling.off.pairs_8}. */
    public static String key(boolean accounting, int pairs) {
        return "scaling." + ACCOUNTING.get(accounting ? 1 : 0) + ".pairs_" + pairs;
    }

    /**
     * Adds the figures to {@code figures}: for accounting off then on, for each N ascending,
     * {@code scaling.SETTING.pairs_N.ops_per_s} and {@code scaling.SETTING.pairs_N.factor}
     * (1 exactly for N = 1). Neither has a goal: what a factor can reach depends on the host's
     * cores ({@link #oversubscribed}).
     */
    public void addTo(BenchFigures figures) {
        for (boolean accounting : new boolean[] {false, true}) {
            for (int k = 0; k < pairs.length; k++) {
                String key = key(accounting, pairs[k]);
                figures.add(key + ".ops_per_s", "ops/s", opsPerSecond(accounting, k), null);
                figures.add(key + ".factor", "ratio", factor(accounting, k), null);
            }
        }
    }

    /**
     * Whether {@code pairs} CPU threads are more than the host's {@code hostCores}: then the
     * figure measures the host's time-slicing of the CPU threads (oversubscription), not scaling.
     */
    public static boolean oversubscribed(int pairs, int hostCores) {
        return pairs > hostCores;
    }

    /**
     * The text of one line: {@code "  8 pairs, accounting off    1,234,567 (1,100,000-1,300,000) ops/s   factor
     * 5.10 (4.90-5.30)"}: the factor to three significant digits, so that an oversubscribed run's
     * small factor still shows.
     */
    public String line(boolean accounting, int k) {
        SpreadVerdict ops = opsPerSecond(accounting, k);
        SpreadVerdict f = factor(accounting, k);
        return String.format(Locale.ROOT, "%3d %-6s accounting %-3s %,12.0f (%,.0f-%,.0f) ops/s   factor %.3g (%.3g-%.3g)",
                pairs[k], pairs[k] == 1 ? "pair," : "pairs,", ACCOUNTING.get(accounting ? 1 : 0), ops.median(), ops.min(),
                ops.max(), f.median(), f.min(), f.max());
    }
}
