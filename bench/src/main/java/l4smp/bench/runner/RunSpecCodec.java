package l4smp.bench.runner;

import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.emulator.cost.CostModel;
import l4smp.kernel.KernelConfig;
import l4smp.kernel.ipc.Abi;
import l4smp.kernel.space.TlbShootdown;
import l4smp.kernel.thread.TcbLayout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link RunSpec} as the {@code run} member of a JSON report, and back: every option that
 * decides what the simulation does (scenario and its options, CPUs, operations, seed and
 * strategy, slack, cost model, accounting, the kernel's tunables, failed CPUs, the ABI) plus the
 * output options. {@link #fromJson} rebuilds a spec that runs the same run: in deterministic
 * mode the same trace hash, counters and cycles.
 *
 * <p>Stateless; any thread.
 */
public final class RunSpecCodec {


    private RunSpecCodec() {
    }

    /**
     * The spec as a JSON object.
     *
     * @param spec            the spec as run
     * @param cpus            the CPUs the run had (the scenario's default when the spec gave none)
     * @param scenarioOptions the scenario's option values, given or default
     * @param accountingOn    whether the accounting layer was on
     */
    public static Map<String, Object> toJson(RunSpec spec, int cpus, Map<String, Object> scenarioOptions,
                                             boolean accountingOn) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scenario", spec.scenario());
        Map<String, Object> opts = new LinkedHashMap<>();
        scenarioOptions.forEach((k, v) -> opts.put(k, v));
        m.put("scenario_options", opts);
        m.put("cpus", cpus);
        m.put("ops", spec.ops() == Long.MAX_VALUE ? null : spec.ops());
        m.put("seconds", spec.seconds() == null ? null : spec.seconds().toNanos() / 1e9);
        m.put("seed", spec.seed());
        m.put("mode", spec.deterministic() ? "deterministic" : "parallel");
        m.put("strategy", strategyName(spec.strategy()));
        m.put("pin", spec.pin());
        m.put("slack", spec.slackCycles() == MachineConfig.UNBOUNDED_SLACK ? null : spec.slackCycles());
        m.put("timing", spec.timing().label());
        m.put("preset", spec.costModel().name());
        m.put("accounting", accountingOn);
        KernelConfig k = spec.kernelConfig();
        m.put("tcb_layout", k.tcbLayout().name().toLowerCase(Locale.ROOT));
        m.put("tick_us", k.tickMicros());
        m.put("timeslice_ticks", k.timesliceTicks());
        m.put("fpu_switch_cycles", k.fpuSwitchCycles());
        m.put("xcpu_max_latency_cycles", k.xcpuMaxLatencyCycles());
        m.put("copy_on_sender", k.copyOnSender());
        m.put("shootdown_policy", k.shootdownPolicy().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        List<Integer> failed = new ArrayList<>();
        for (int c = 0; c < 64; c++) {
            if ((spec.failedCpus() & (1L << c)) != 0) {
                failed.add(c);
            }
        }
        m.put("fail_cpus", failed);
        m.put("abi", k.abi().optionName());
        m.put("trace", spec.captureTrace());
        m.put("trace_limit", spec.maxTraceEvents());
        m.put("progress", spec.progress());
        return m;
    }

    /**
     * The spec a JSON report's {@code run} member describes. Throws
     * {@link IllegalArgumentException} naming what is missing or bad.
     */
    public static RunSpec fromJson(Object run) {
        if (!(run instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("the report has no 'run' object (written by an older l4smp?)");
        }
        Abi abi;
        try {
            abi = Abi.parse(string(m, "abi"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the report's run: " + e.getMessage());
        }
        Map<String, String> options = new LinkedHashMap<>();
        Object so = m.get("scenario_options");
        if (so instanceof Map<?, ?> sm) {
            sm.forEach((key, v) -> options.put(String.valueOf(key), String.valueOf(v)));
        }
        long failed = 0;
        if (m.get("fail_cpus") instanceof List<?> list) {
            for (Object o : list) {
                failed |= 1L << ((Number) o).intValue();
            }
        }
        Object seconds = m.get("seconds");
        Object ops = m.get("ops");
        Object seed = m.get("seed");
        Object slack = m.get("slack");
        KernelConfig kernel = new KernelConfig(number(m, "tick_us").doubleValue(),
                number(m, "timeslice_ticks").intValue(), number(m, "fpu_switch_cycles").intValue(),
                TcbLayout.parse(string(m, "tcb_layout")), number(m, "xcpu_max_latency_cycles").longValue(),
                Boolean.TRUE.equals(m.get("copy_on_sender")),
                TlbShootdown.Policy.valueOf(string(m, "shootdown_policy").toUpperCase(Locale.ROOT).replace('-', '_')))
                .withAbi(abi);
        return RunSpec.builder(string(m, "scenario"))
                .cpus(number(m, "cpus").intValue())
                .ops(ops == null ? Long.MAX_VALUE : ((Number) ops).longValue())
                .seconds(seconds == null ? null : Duration.ofNanos(Math.round(((Number) seconds).doubleValue() * 1e9)))
                .seed(seed == null ? null : ((Number) seed).longValue())
                .strategy(ScheduleStrategy.parse(string(m, "strategy")))
                .pin(Boolean.TRUE.equals(m.get("pin")))
                .slackCycles(slack == null ? MachineConfig.UNBOUNDED_SLACK : ((Number) slack).longValue())
                .costModel(CostModel.preset(string(m, "preset")))
                .accounting(Boolean.TRUE.equals(m.get("accounting")))
                .kernelConfig(kernel)
                .failedCpus(failed)
                .scenarioOptions(options)
                .captureTrace(Boolean.TRUE.equals(m.get("trace")))
                .maxTraceEvents(m.get("trace_limit") instanceof Number n ? n.intValue() : 1_000_000)
                .progress(Boolean.TRUE.equals(m.get("progress")))
                // Reports written before the switch existed ran in host order: lax.
                .timing(m.get("timing") == null ? l4smp.emulator.TimingMode.LAX
                        : l4smp.emulator.TimingMode.parse(string(m, "timing")))
                .build();
    }

    static String strategyName(ScheduleStrategy s) {
        return s.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String string(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("the report's run has no '" + key + "'");
        }
        return s;
    }

    private static Number number(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalArgumentException("the report's run has no number '" + key + "'");
        }
        return n;
    }
}
