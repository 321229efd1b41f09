package l4smp.bench.report;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The human-readable report of a run: header, outcome, throughput, latency percentiles (in
 * simulated cycles and host nanoseconds; merged, and per recorder when there are a few; past
 * {@value #MAX_RECORDERS_LISTED}, their range and the slowest), a line per CPU with its clock,
 * simulated time and idle share followed by its non-zero counters (up to
 * {@value #MAX_CPUS_WITH_COUNTERS} CPUs), the counter totals, the scenario's results and the
 * trace hash. Counters are printed one subsystem per line ({@link CounterGlossary}), wrapped at
 * {@value #WIDTH} columns; every figure left out is in the JSON report.
 *
 * <p>Stateless; any thread.
 */
public final class TextReport {

    /** The widest a counter line gets, in characters. */
    static final int WIDTH = 100;
    /** More CPUs than this: one line per CPU (clock and idle share), counters only in total. */
    static final int MAX_CPUS_WITH_COUNTERS = 8;
    /** More recorders than this: their range and the slowest few, not each one. */
    static final int MAX_RECORDERS_LISTED = 8;
    static final int SLOWEST_LISTED = 3;
    private static final String INDENT = "      ";
    private static final String CONTINUATION = "        ";

    private TextReport() {
    }

    /** The system-call ABI of the run's kernel ({@code thesis} or {@code x2}). */
    private static String abiName(RunReport r) {
        return r.spec() == null ? l4smp.kernel.ipc.Abi.THESIS.optionName() : r.spec().kernelConfig().abi().optionName();
    }

    /** The report as lines of text (each without a line terminator). */
    public static List<String> lines(RunReport r) {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "scenario %s: %d CPU%s, %s (%d MHz), %s, %s, slack %s",
                r.scenario(), r.cpus(), r.cpus() == 1 ? "" : "s", r.costModel().name(), r.costModel().clockMhz(),
                r.seed() == null ? "parallel" : "deterministic (seed " + r.seed() + ", " + r.strategy() + ")",
                r.seed() == null ? (r.pin() ? "pinned" : "unpinned") : "one host thread",
                slack(r.slackCycles())));
        out.add("options: " + (r.options().isEmpty() ? "(none)" : formatMap(r.options())) + "; " + abiName(r) + " ABI");
        out.add(timing(r));
        Object planted = r.results().get("planted");
        if (planted != null) {
            out.add("PLANTED RACE: " + planted + " (" + l4smp.kernel.Plant.parse(planted.toString()).race()
                    + "; a negative control, not the kernel as designed)");
        }
        Machine.RunOutcome o = r.outcome();
        String outcome = r.outcomeName();
        out.add("outcome: " + (outcome.equals("failed") ? "FAILED" : outcome) + " (" + o.stopReason() + ")"
                + (r.timeUp() ? ", host-time budget of " + r.secondsBudget() + " s spent" : ""));
        if (o.failure() != null) {
            out.add("failure: " + o.failure());
        }
        if (r.results().get(RunReport.RESULT_DEGRADED) != null) {
            out.add("degraded: " + r.results().get(RunReport.RESULT_DEGRADED));
        }
        if (r.results().get(RunReport.RESULT_WAITS) instanceof Map<?, ?> waits) {
            waits.forEach((cpu, what) -> out.add("waiting on " + cpu + ": " + what));
        }
        for (String f : r.kernelFailures()) {
            // A user thread that threw, or a failed check (the scenario's, or a kernel invariant).
            out.add((f.startsWith("user thread ") ? "thread failure: " : "check failed: ") + f);
        }
        for (String w : o.warnings()) {
            out.add("warning: " + w);
        }
        out.add(String.format(Locale.ROOT, "operations: %,d of %s in %.3f s host, %.6f s simulated (%,d cycles)",
                r.operations(), r.opsRequested() == Long.MAX_VALUE ? "unbounded"
                        : String.format(Locale.ROOT, "%,d", r.opsRequested()),
                r.hostSeconds(), r.simulatedSeconds(), r.simulatedCycles()));
        out.add(String.format(Locale.ROOT, "throughput: %,.0f ops/s host, %,.0f ops/s simulated",
                r.throughputPerHostSecond(), r.throughputPerSimulatedSecond()));
        out.add("");
        latency(out, r);
        out.add("");
        int idleIndex = r.counterNames().indexOf(Machine.C_IDLE_CYCLES);
        boolean perCpuCounters = r.cpus() > 1 && r.cpus() <= MAX_CPUS_WITH_COUNTERS; // one CPU: its counters are the total
        for (int c = 0; c < r.cpus(); c++) {
            long clock = r.clocks()[c];
            long idle = idleIndex < 0 ? 0 : r.perCpuCounters()[c][idleIndex];
            out.add(String.format(Locale.ROOT, "cpu%-2d clock %,15d cycles %12s  idle %5.1f%%", c, clock,
                    simTime(clock, r.costModel().clockMhz()), clock > 0 ? 100.0 * idle / clock : 0.0));
            if (perCpuCounters) {
                counterLines(out, r.counterNames(), r.perCpuCounters()[c], idleIndex);
            }
        }
        if (r.cpus() > MAX_CPUS_WITH_COUNTERS) {
            out.add("(counters per CPU: in the JSON report, --json)");
        }
        out.add("total");
        counterLines(out, r.counterNames(), r.counterTotals(), -1);
        Map<String, Object> results = new java.util.LinkedHashMap<>(r.results());
        results.remove(RunReport.RESULT_WAITS); // printed above, one line per CPU
        results.remove(RunReport.RESULT_DEGRADED);
        if (!results.isEmpty()) {
            // one result after another, wrapped between results
            StringBuilder line = new StringBuilder("results:");
            boolean empty = true;
            for (Map.Entry<String, Object> e : results.entrySet()) {
                String item = e.getKey() + "=" + e.getValue();
                if (!empty && line.length() + 2 + item.length() > WIDTH) {
                    out.add(line.append(',').toString());
                    line = new StringBuilder("  ").append(item);
                } else {
                    line.append(empty ? " " : ", ").append(item);
                }
                empty = false;
            }
            out.add(line.toString());
        }
        out.add(String.format(Locale.ROOT, "trace: hash %s, %,d events", r.traceHashHex(), r.traceEvents()));
        return out;
    }

    /** The report as one string with '\n' line ends. */
    public static String format(RunReport r) {
        return String.join("\n", lines(r)) + "\n";
    }

    /**
     * The non-zero counters, one line per subsystem (in {@link CounterGlossary} order), wrapped at
     * {@link #WIDTH} columns; {@code skip} is an index left out (-1: none).
     */
    private static void counterLines(List<String> out, List<String> names, long[] values, int skip) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            if (i != skip && values[i] != 0) {
                order.add(i);
            }
        }
        // stable: within a subsystem the counters keep their registration order
        order.sort(java.util.Comparator.comparingInt(i -> CounterGlossary.groupRank(names.get(i))));
        StringBuilder line = null;
        String group = null;
        for (int i : order) {
            String name = names.get(i);
            int dot = name.indexOf('.');
            String g = dot < 0 ? name : name.substring(0, dot);
            String item = name + "=" + values[i];
            if (!g.equals(group) || line.length() + 1 + item.length() > WIDTH) {
                if (line != null) {
                    out.add(line.toString());
                }
                line = new StringBuilder(g.equals(group) ? CONTINUATION : INDENT).append(item);
                group = g;
            } else {
                line.append(' ').append(item);
            }
        }
        if (line != null) {
            out.add(line.toString());
        }
    }

    /**
     * The latency table: merged, then per recorder when there are several; past
     * {@link #MAX_RECORDERS_LISTED} recorders, their range and the slowest few only.
     */
    private static void latency(List<String> out, RunReport r) {
        if (r.cycles().getTotalCount() == 0) {
            out.add("latency: none recorded" + (r.options().get("latency") == Boolean.FALSE
                    ? " (the scenario's --latency is off)" : ""));
            return;
        }
        out.add(String.format(Locale.ROOT, "%-24s %10s %10s %10s %10s %10s %10s %12s %10s",
                "latency", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean", "count"));
        out.add(latencyLine("  cycles (simulated)", r.cyclesSummary()));
        out.add(latencyLine("  ns (host)", r.hostNanosSummary()));
        List<RunReport.RecorderReport> recs = r.recorders();
        if (recs.size() <= 1) {
            return;
        }
        if (recs.size() <= MAX_RECORDERS_LISTED) {
            for (RunReport.RecorderReport rec : recs) {
                out.add("  " + rec.name() + ":");
                out.add(latencyLine("    cycles", rec.cyclesSummary()));
                out.add(latencyLine("    ns", rec.hostNanosSummary()));
            }
            return;
        }
        long minP50 = Long.MAX_VALUE;
        long maxP50 = 0;
        long minP99 = Long.MAX_VALUE;
        long maxP99 = 0;
        List<RunReport.RecorderReport> recorded = new ArrayList<>();
        for (RunReport.RecorderReport rec : recs) {
            if (rec.operations() == 0) {
                continue;
            }
            recorded.add(rec);
            LatencySummary s = rec.cyclesSummary();
            minP50 = Math.min(minP50, s.p50());
            maxP50 = Math.max(maxP50, s.p50());
            minP99 = Math.min(minP99, s.p99());
            maxP99 = Math.max(maxP99, s.p99());
        }
        out.add(String.format(Locale.ROOT, "  %d recorders (each in the JSON report, --json): cycles p50 %,d..%,d, "
                + "p99 %,d..%,d; the %d with the highest p99:", recs.size(), recorded.isEmpty() ? 0 : minP50, maxP50,
                recorded.isEmpty() ? 0 : minP99, maxP99, Math.min(SLOWEST_LISTED, recorded.size())));
        recorded.sort(java.util.Comparator.comparingLong((RunReport.RecorderReport x) -> x.cyclesSummary().p99())
                .reversed());
        for (RunReport.RecorderReport rec : recorded.subList(0, Math.min(SLOWEST_LISTED, recorded.size()))) {
            out.add(latencyLine("    " + rec.name() + " cycles", rec.cyclesSummary()));
        }
    }

    private static String latencyLine(String label, LatencySummary s) {
        return String.format(Locale.ROOT, "%-24s %10d %10d %10d %10d %10d %10d %12.1f %10d",
                label, s.p50(), s.p90(), s.p99(), s.p999(), s.p9999(), s.max(), s.mean(), s.count());
    }

    /** Simulated time of {@code cycles} at {@code mhz}, with a readable unit. */
    static String simTime(long cycles, int mhz) {
        double us = cycles / (double) mhz;
        if (us < 1000) {
            return String.format(Locale.ROOT, "%.1f us", us);
        }
        if (us < 1_000_000) {
            return String.format(Locale.ROOT, "%.2f ms", us / 1000);
        }
        return String.format(Locale.ROOT, "%.3f s", us / 1_000_000);
    }

    /**
     * The timing line: which mode kept simulated time and whether every interaction between
     * CPUs happened in simulated-time order ("exact") or how many did not and by how much.
     */
    static String timing(RunReport r) {
        RunReport.Timing t = r.timing();
        String how = r.seed() != null ? "seeded stepper" : r.timingMode().equals("exact")
                ? "parallel, --timing exact" : "parallel, --timing lax";
        if (t.exact()) {
            return "timing: exact (" + how + "): every interaction in simulated-time order";
        }
        return String.format(Locale.ROOT, "timing: %s: %,d interaction%s out of simulated-time order, largest lead %,d cycles",
                how, t.corrections(), t.corrections() == 1 ? "" : "s", t.largestCorrection());
    }

    static String slack(long slackCycles) {
        return slackCycles == MachineConfig.UNBOUNDED_SLACK ? "unbounded" : slackCycles + " cycles";
    }

    private static String formatMap(Map<String, Object> map) {
        StringBuilder sb = new StringBuilder();
        map.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append('=').append(v));
        return sb.toString();
    }
}
