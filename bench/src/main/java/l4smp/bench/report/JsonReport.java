package l4smp.bench.report;

import l4smp.bench.runner.RunSpecCodec;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The machine-readable report of a run ({@code --json FILE}): one self-describing JSON object,
 * schema {@value #SCHEMA_VERSION}. Members:
 * <ul>
 * <li>{@code schema_version}; {@code l4smp} (version, commit the build was made from);
 *     {@code jvm} (version, vendor, name); {@code host} (os, os_version, arch, processors);
 *     {@code command_line} (the arguments of {@code l4smp run}, when run from the command line)</li>
 * <li>{@code run}: every option of the run ({@link RunSpecCodec}): scenario, scenario_options,
 *     cpus, ops (null: only a time budget), seconds, seed, mode, strategy, pin, slack (null:
 *     unbounded), timing, preset, accounting, tcb_layout, tick_us, timeslice_ticks, fpu_switch_cycles,
 *     xcpu_max_latency_cycles, copy_on_sender, shootdown_policy, fail_cpus, abi ({@code thesis}
 *     or {@code x2}: the kernel's system-call ABI, {@code --abi}), trace, trace_limit, progress.
 *     {@code l4smp run --replay FILE} runs it again.</li>
 * <li>the summary, flat: {@code scenario, options, cpus, ops} (done), {@code ops_requested,
 *     seconds, seed, mode, strategy, pin, slack}, {@code timing} (mode "exact" or "lax", exact
 *     (true when every interaction between CPUs happened in simulated-time order), corrections
 *     (the interactions that did not), largest_correction_cycles (the largest lead one had)),
 *     {@code preset, clock_mhz, abi, outcome} ("ok" or "failed"),
 *     {@code stop_reason, failure, time_up, warnings, kernel_failures, host_seconds,
 *     simulated_cycles, simulated_seconds, throughput_per_s} (operations per host second),
 *     {@code throughput_per_simulated_s}</li>
 * <li>{@code latency.cycles.*, latency.host_ns.*} (p50, p90, p99, p999, p9999, max, mean, count,
 *     and {@code percentiles}: the histogram's percentile distribution as [percentile, value]
 *     pairs, for plots); {@code recorders} (name, ops, latency)</li>
 * <li>{@code clocks} (cycles per CPU); {@code counters.names}, {@code counters.per_cpu} (one
 *     object per CPU, counter name to value), {@code counters.total},
 *     {@code counters.per_op} (total divided by the operations done)</li>
 * <li>{@code results} (the scenario's own, snake-case names), {@code trace_hash} (16 hex
 *     digits), {@code trace_events}</li>
 * </ul>
 *
 * <p>Stateless; any thread.
 */
public final class JsonReport {

    /** The version of this layout; raised whenever a member changes meaning or goes away. */
    public static final int SCHEMA_VERSION = 2;

    private JsonReport() {
    }

    /** The report as a JSON tree (ordered maps, lists, plain values). */
    public static Map<String, Object> toTree(RunReport r, List<String> commandLine) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("schema_version", SCHEMA_VERSION);
        j.put("l4smp", build());
        j.put("jvm", jvm());
        j.put("host", host());
        j.put("command_line", commandLine);
        j.put("run", r.spec() == null ? null
                : RunSpecCodec.toJson(r.spec(), r.cpus(), r.options(), r.accountingOn()));
        j.put("scenario", r.scenario());
        j.put("options", r.options());
        j.put("cpus", r.cpus());
        j.put("ops", r.operations());
        j.put("ops_requested", r.opsRequested() == Long.MAX_VALUE ? null : r.opsRequested());
        j.put("seconds", r.secondsBudget());
        j.put("seed", r.seed());
        j.put("mode", r.mode());
        j.put("strategy", r.strategy());
        j.put("pin", r.pin());
        j.put("slack", r.slackCycles() == MachineConfig.UNBOUNDED_SLACK ? null : r.slackCycles());
        Map<String, Object> timing = new LinkedHashMap<>();
        timing.put("mode", r.timingMode());
        timing.put("exact", r.timing().exact());
        timing.put("corrections", r.timing().corrections());
        timing.put("largest_correction_cycles", r.timing().largestCorrection());
        j.put("timing", timing);
        j.put("preset", r.costModel().name());
        j.put("clock_mhz", r.costModel().clockMhz());
        j.put("abi", r.spec() == null ? l4smp.kernel.ipc.Abi.THESIS.optionName() : r.spec().kernelConfig().abi().optionName());
        Machine.RunOutcome o = r.outcome();
        j.put("outcome", r.outcomeName());
        j.put("stop_reason", o.stopReason());
        j.put("failure", o.failure());
        j.put("time_up", r.timeUp());
        j.put("warnings", o.warnings());
        j.put("kernel_failures", r.kernelFailures());
        j.put("host_seconds", r.hostSeconds());
        j.put("simulated_cycles", r.simulatedCycles());
        j.put("simulated_seconds", r.simulatedSeconds());
        j.put("throughput_per_s", r.throughputPerHostSecond());
        j.put("throughput_per_simulated_s", r.throughputPerSimulatedSecond());
        j.put("latency", latency(LatencySummary.of(r.cycles()), r.cycles(), LatencySummary.of(r.hostNanos()),
                r.hostNanos()));
        List<Object> recorders = new ArrayList<>();
        for (RunReport.RecorderReport rec : r.recorders()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", rec.name());
            m.put("ops", rec.operations());
            m.put("latency", latency(rec.cyclesSummary(), null, rec.hostNanosSummary(), null));
            recorders.add(m);
        }
        j.put("recorders", recorders);
        j.put("clocks", r.clocks());
        Map<String, Object> counters = new LinkedHashMap<>();
        counters.put("names", r.counterNames());
        List<Object> perCpu = new ArrayList<>();
        for (long[] row : r.perCpuCounters()) {
            perCpu.add(named(r.counterNames(), row));
        }
        counters.put("per_cpu", perCpu);
        long[] totals = r.counterTotals();
        counters.put("total", named(r.counterNames(), totals));
        Map<String, Object> perOp = new LinkedHashMap<>();
        long ops = r.operations();
        for (int i = 0; i < totals.length; i++) {
            perOp.put(r.counterNames().get(i), ops == 0 ? null : totals[i] / (double) ops);
        }
        counters.put("per_op", perOp);
        j.put("counters", counters);
        j.put("results", r.results());
        j.put("trace_hash", r.traceHashHex());
        j.put("trace_events", r.traceEvents());
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = (Map<String, Object>) Json.plain(j);
        return tree;
    }

    /** The report as a JSON document (indented). */
    public static String toJson(RunReport r) {
        return toJson(r, null);
    }

    /** The report as a JSON document (indented), with the command line it was run by. */
    public static String toJson(RunReport r, List<String> commandLine) {
        try {
            return Json.MAPPER.writeValueAsString(toTree(r, commandLine));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise the report", e);
        }
    }

    /** Writes the report to {@code file} (UTF-8), creating its parent directories. */
    public static void write(RunReport r, Path file) throws IOException {
        write(r, file, null);
    }

    /** Writes the report, with the command line it was run by, to {@code file}. */
    public static void write(RunReport r, Path file, List<String> commandLine) throws IOException {
        Json.write(toTree(r, commandLine), file);
    }

    private static Map<String, Object> latency(LatencySummary cycles, org.HdrHistogram.Histogram cyclesHistogram,
                                               LatencySummary nanos, org.HdrHistogram.Histogram nanosHistogram) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cycles", summary(cycles, cyclesHistogram));
        m.put("host_ns", summary(nanos, nanosHistogram));
        return m;
    }

    private static Map<String, Object> summary(LatencySummary s, org.HdrHistogram.Histogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", s.p50());
        m.put("p90", s.p90());
        m.put("p99", s.p99());
        m.put("p999", s.p999());
        m.put("p9999", s.p9999());
        m.put("max", s.max());
        m.put("mean", s.mean());
        m.put("count", s.count());
        if (h != null && h.getTotalCount() > 0) {
            m.put("percentiles", PercentileCurve.of(h));
        }
        return m;
    }

    private static Map<String, Object> named(List<String> names, long[] values) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            m.put(names.get(i), values[i]);
        }
        return m;
    }

    /** The {@code l4smp} member of a report: the build's {@code version} and {@code commit}. */
    public static Map<String, Object> build() {
        Map<String, Object> build = new LinkedHashMap<>();
        build.put("version", BuildInfo.VERSION);
        build.put("commit", BuildInfo.COMMIT);
        return build;
    }

    /** The {@code jvm} member of a report: the running JVM's version, vendor and name. */
    public static Map<String, Object> jvm() {
        Map<String, Object> jvm = new LinkedHashMap<>();
        jvm.put("version", Runtime.version().toString());
        jvm.put("vendor", System.getProperty("java.vm.vendor"));
        jvm.put("name", System.getProperty("java.vm.name"));
        return jvm;
    }

    /** The {@code host} member of a report: operating system, architecture, processors (a mutable map). */
    public static Map<String, Object> host() {
        Map<String, Object> host = new LinkedHashMap<>();
        host.put("os", System.getProperty("os.name"));
        host.put("os_version", System.getProperty("os.version"));
        host.put("arch", System.getProperty("os.arch"));
        host.put("processors", Runtime.getRuntime().availableProcessors());
        return host;
    }

    /** The build's version and source commit ({@code l4smp/bench/build.properties}). */
    static final class BuildInfo {
        static final String VERSION;
        static final String COMMIT;

        static {
            Properties p = new Properties();
            try (InputStream in = JsonReport.class.getResourceAsStream("/l4smp/bench/build.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // an unreadable resource leaves both unknown
            }
            VERSION = clean(p.getProperty("version"));
            COMMIT = clean(System.getProperty("l4smp.commit", p.getProperty("commit")));
        }

        private static String clean(String v) {
            return v == null || v.isBlank() || v.startsWith("${") ? "unknown" : v;
        }
    }
}
