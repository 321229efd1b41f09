package l4smp.bench.report;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine-readable report of a run ({@code --json FILE}): one JSON object. Keys:
 * {@code scenario, options, cpus, ops, ops_requested} (null: only a time budget), {@code seconds, seed} (null in parallel mode),
 * {@code mode, strategy, pin, slack} (null = unbounded), {@code preset, clock_mhz, outcome}
 * ("ok" or "failed"), {@code stop_reason, failure, warnings, kernel_failures, host_seconds,
 * simulated_cycles, simulated_seconds, throughput_per_s} (operations per host second),
 * {@code throughput_per_simulated_s, latency.cycles.*, latency.host_ns.*} (p50, p90, p99,
 * p999, p9999, max, mean, count), {@code recorders} (name, ops, latency), {@code clocks}
 * (cycles per CPU), {@code counters.names, counters.per_cpu} (array of objects name to value),
 * {@code counters.total}, {@code results, trace_hash} (16 hex digits), {@code trace_events}.
 *
 * <p>Stateless; any thread.
 */
public final class JsonReport {

    private JsonReport() {
    }

    /** The report as a JSON document (indented). */
    public static String toJson(RunReport r) {
        JsonWriter j = new JsonWriter(true);
        j.beginObject();
        j.name("scenario").value(r.scenario());
        j.name("options").anyValue(r.options());
        j.name("cpus").value(r.cpus());
        j.name("ops").value(r.operations());
        j.name("ops_requested").anyValue(r.opsRequested() == Long.MAX_VALUE ? null : r.opsRequested());
        j.name("seconds").anyValue(r.secondsBudget());
        j.name("seed").anyValue(r.seed());
        j.name("mode").value(r.mode());
        j.name("strategy").value(r.strategy());
        j.name("pin").value(r.pin());
        j.name("slack").anyValue(r.slackCycles() == MachineConfig.UNBOUNDED_SLACK ? null : r.slackCycles());
        j.name("preset").value(r.costModel().name());
        j.name("clock_mhz").value(r.costModel().clockMhz());
        Machine.RunOutcome o = r.outcome();
        j.name("outcome").value(r.outcomeName());
        j.name("stop_reason").value(o.stopReason());
        j.name("failure").value(o.failure());
        j.name("time_up").value(r.timeUp());
        j.name("warnings").anyValue(o.warnings());
        j.name("kernel_failures").anyValue(r.kernelFailures());
        j.name("host_seconds").value(r.hostSeconds());
        j.name("simulated_cycles").value(r.simulatedCycles());
        j.name("simulated_seconds").value(r.simulatedSeconds());
        j.name("throughput_per_s").value(r.throughputPerHostSecond());
        j.name("throughput_per_simulated_s").value(r.throughputPerSimulatedSecond());
        j.name("latency").beginObject();
        j.name("cycles").beginObject();
        r.cyclesSummary().writeJson(j);
        j.endObject();
        j.name("host_ns").beginObject();
        r.hostNanosSummary().writeJson(j);
        j.endObject();
        j.endObject();
        j.name("recorders").beginArray();
        for (RunReport.RecorderReport rec : r.recorders()) {
            j.beginObject();
            j.name("name").value(rec.name());
            j.name("ops").value(rec.operations());
            j.name("latency").beginObject();
            j.name("cycles").beginObject();
            rec.cyclesSummary().writeJson(j);
            j.endObject();
            j.name("host_ns").beginObject();
            rec.hostNanosSummary().writeJson(j);
            j.endObject();
            j.endObject();
            j.endObject();
        }
        j.endArray();
        j.name("clocks").beginArray();
        for (long c : r.clocks()) {
            j.value(c);
        }
        j.endArray();
        j.name("counters").beginObject();
        j.name("names").anyValue(r.counterNames());
        j.name("per_cpu").beginArray();
        for (long[] row : r.perCpuCounters()) {
            j.beginObject();
            for (int i = 0; i < row.length; i++) {
                j.name(r.counterNames().get(i)).value(row[i]);
            }
            j.endObject();
        }
        j.endArray();
        long[] totals = r.counterTotals();
        j.name("total").beginObject();
        for (int i = 0; i < totals.length; i++) {
            j.name(r.counterNames().get(i)).value(totals[i]);
        }
        j.endObject();
        j.endObject();
        j.name("results").anyValue(r.results());
        j.name("trace_hash").value(r.traceHashHex());
        j.name("trace_events").value(r.traceEvents());
        j.endObject();
        return j.toJson();
    }

    /** Writes the report to {@code file} (UTF-8), creating its parent directories. */
    public static void write(RunReport r, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson(r) + "\n", StandardCharsets.UTF_8);
    }
}
