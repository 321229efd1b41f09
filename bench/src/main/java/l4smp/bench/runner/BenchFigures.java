package l4smp.bench.runner;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The figures of one {@code l4smp bench} run under stable names ({@code local.ratio_off},
 * {@code memory.l2_miss_mps}, ...), each the spread of its repetitions with its goal and the
 * verdict against it (see {@link SpreadVerdict}): what {@code bench --json} writes.
 *
 * <p>Names are lower case, dot-separated, and never contain spaces; a name once published keeps
 * its meaning (a change of meaning is a new name). A figure without a goal is information only
 * (its verdict is {@code no_goal}).
 *
 * <p>Not thread-safe: one thread (the command's) adds the figures and reads them.
 */
public final class BenchFigures {

    /** How a goal is judged. */
    public enum Kind {
        /**
         * At most the goal, a ratio to a lower bound of the same work (a ratio below 1 means a
         * disturbed baseline: no verdict), {@link SpreadVerdict#against}.
         */
        AT_MOST_OVER_LOWER_BOUND("<="),
        /** At most the goal, a ratio of two ways of doing the same work, {@link SpreadVerdict#againstCeiling}. */
        AT_MOST("<="),
        /** At least the goal, {@link SpreadVerdict#againstFloor}. */
        AT_LEAST(">=");

        private final String op;

        Kind(String op) {
            this.op = op;
        }

        /** {@code "<="} or {@code ">="}. */
        public String op() {
            return op;
        }
    }

    /**
     * A goal.
     *
     * @param kind  how it is judged
     * @param value the bound
     */
    public record Goal(Kind kind, double value) {

        public static Goal atMostOverLowerBound(double value) {
            return new Goal(Kind.AT_MOST_OVER_LOWER_BOUND, value);
        }

        public static Goal atMost(double value) {
            return new Goal(Kind.AT_MOST, value);
        }

        public static Goal atLeast(double value) {
            return new Goal(Kind.AT_LEAST, value);
        }

        /** The verdict of {@code spread} against this goal. */
        public SpreadVerdict.Outcome judge(SpreadVerdict spread) {
            return switch (kind) {
                case AT_MOST_OVER_LOWER_BOUND -> spread.against(value);
                case AT_MOST -> spread.againstCeiling(value);
                case AT_LEAST -> spread.againstFloor(value);
            };
        }
    }

    /**
     * One figure.
     *
     * @param name   its stable name
     * @param unit   what its numbers count ({@code ratio}, {@code ns}, {@code million/s}, ...)
     * @param spread median, min, max and the number of runs
     * @param goal   its goal, or {@code null} for a figure without one
     */
    public record Figure(String name, String unit, SpreadVerdict spread, Goal goal) {

        /** {@code met}, {@code not_met}, {@code undecidable}, or {@code no_goal}. */
        public String verdict() {
            if (goal == null) {
                return "no_goal";
            }
            return switch (goal.judge(spread)) {
                case MET -> "met";
                case NOT_MET -> "not_met";
                case UNDECIDED -> "undecidable";
            };
        }

        /** The figure as a JSON object: median, min, max, runs, unit, goal ({@code op}, {@code value}), verdict. */
        public Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("median", spread.median());
            m.put("min", spread.min());
            m.put("max", spread.max());
            m.put("runs", spread.n());
            m.put("unit", unit);
            if (goal == null) {
                m.put("goal", null);
            } else {
                Map<String, Object> g = new LinkedHashMap<>();
                g.put("op", goal.kind().op());
                g.put("value", goal.value());
                m.put("goal", g);
            }
            m.put("verdict", verdict());
            return m;
        }
    }

    private final Map<String, Figure> figures = new LinkedHashMap<>();

    /** Adds a figure; a name given twice is a programming error. */
    public void add(String name, String unit, SpreadVerdict spread, Goal goal) {
        if (!name.matches("[a-z0-9_]+(\\.[a-z0-9_]+)+")) {
            throw new IllegalArgumentException("not a figure name: '" + name + "'");
        }
        if (figures.putIfAbsent(name, new Figure(name, unit, spread, goal)) != null) {
            throw new IllegalArgumentException("figure '" + name + "' given twice");
        }
    }

    /** The figures in the order they were added. */
    public Map<String, Figure> figures() {
        return Collections.unmodifiableMap(figures);
    }

    /** The figures as one JSON object, name to {@link Figure#toJson}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        figures.forEach((name, f) -> m.put(name, f.toJson()));
        return m;
    }
}
