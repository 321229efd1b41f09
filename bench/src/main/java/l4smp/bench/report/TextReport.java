package l4smp.bench.report;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The human-readable report of a run: header, outcome, throughput, latency percentiles (in
 * simulated cycles and host nanoseconds; merged, and per recorder when there are several), one
 * line per CPU with its clock, simulated time, idle share and non-zero counters, the counter
 * totals, the scenario's results and the trace hash.
 *
 * <p>Stateless; any thread.
 */
public final class TextReport {

    private TextReport() {
    }

    /** The report as lines of text (each without a line terminator). */
    public static List<String> lines(RunReport r) {
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "scenario %s: %d CPU%s, %s (%d MHz), %s, %s, slack %s",
                r.scenario(), r.cpus(), r.cpus() == 1 ? "" : "s", r.costModel().name(), r.costModel().clockMhz(),
                r.seed() == null ? "parallel" : "deterministic (seed " + r.seed() + ", " + r.strategy() + ")",
                r.seed() == null ? (r.pin() ? "pinned" : "unpinned") : "one host thread",
                slack(r.slackCycles())));
        out.add("options: " + (r.options().isEmpty() ? "(none)" : formatMap(r.options())));
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
        out.add(String.format(Locale.ROOT, "%-24s %10s %10s %10s %10s %10s %10s %12s %10s",
                "latency", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean", "count"));
        out.add(latencyLine("  cycles (simulated)", r.cyclesSummary()));
        out.add(latencyLine("  ns (host)", r.hostNanosSummary()));
        if (r.recorders().size() > 1) {
            for (RunReport.RecorderReport rec : r.recorders()) {
                out.add("  " + rec.name() + ":");
                out.add(latencyLine("    cycles", rec.cyclesSummary()));
                out.add(latencyLine("    ns", rec.hostNanosSummary()));
            }
        }
        out.add("");
        int idleIndex = r.counterNames().indexOf(Machine.C_IDLE_CYCLES);
        for (int c = 0; c < r.cpus(); c++) {
            long clock = r.clocks()[c];
            long idle = idleIndex < 0 ? 0 : r.perCpuCounters()[c][idleIndex];
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                    "cpu%-2d clock %,15d cycles %12s  idle %5.1f%%", c, clock,
                    simTime(clock, r.costModel().clockMhz()), clock > 0 ? 100.0 * idle / clock : 0.0));
            appendCounters(sb, r.counterNames(), r.perCpuCounters()[c], idleIndex);
            out.add(sb.toString());
        }
        StringBuilder totals = new StringBuilder("total");
        long[] t = r.counterTotals();
        appendCounters(totals, r.counterNames(), t, -1);
        out.add(totals.toString());
        Map<String, Object> results = new java.util.LinkedHashMap<>(r.results());
        results.remove(RunReport.RESULT_WAITS); // printed above, one line per CPU
        results.remove(RunReport.RESULT_DEGRADED);
        if (!results.isEmpty()) {
            out.add("results: " + formatMap(results));
        }
        out.add(String.format(Locale.ROOT, "trace: hash %s, %,d events", r.traceHashHex(), r.traceEvents()));
        return out;
    }

    /** The report as one string with '\n' line ends. */
    public static String format(RunReport r) {
        return String.join("\n", lines(r)) + "\n";
    }

    private static void appendCounters(StringBuilder sb, List<String> names, long[] values, int skip) {
        for (int i = 0; i < names.size(); i++) {
            if (i != skip && values[i] != 0) {
                sb.append(' ').append(names.get(i)).append('=').append(values[i]);
            }
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

    static String slack(long slackCycles) {
        return slackCycles == MachineConfig.UNBOUNDED_SLACK ? "unbounded" : slackCycles + " cycles";
    }

    private static String formatMap(Map<String, Object> map) {
        StringBuilder sb = new StringBuilder();
        map.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(k).append('=').append(v));
        return sb.toString();
    }
}
