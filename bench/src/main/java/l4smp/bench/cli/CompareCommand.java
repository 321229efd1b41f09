package l4smp.bench.cli;

import l4smp.bench.report.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code l4smp compare A.json B.json ...}: the options in which the runs differ, then their
 * operations, latency percentiles (cycles and host ns) and counters per operation side by side,
 * each later report with its ratio to the first.
 */
@Command(name = "compare", mixinStandardHelpOptions = true,
        description = "Compare JSON reports (l4smp run --json): the options that differ, latency percentiles and "
                + "counters per operation side by side, with each report's ratio to the first.")
final class CompareCommand implements Callable<Integer> {

    private static final String[] PERCENTILES = {"p50", "p90", "p99", "p999", "p9999", "max", "mean"};

    @Spec
    CommandSpec spec;

    @Parameters(arity = "2..*", paramLabel = "REPORT.json", description = "Two or more reports of 'l4smp run --json'.")
    List<Path> files;

    @Override
    public Integer call() {
        List<Map<String, Object>> reports = ReportFiles.read(spec.commandLine(), files);
        List<String> labels = ReportFiles.labels(files);
        PrintWriter out = spec.commandLine().getOut();
        for (String line : lines(reports, labels)) {
            out.println(line);
        }
        out.flush();
        return 0;
    }

    /** The comparison as lines of text. */
    static List<String> lines(List<Map<String, Object>> reports, List<String> labels) {
        List<String> out = new ArrayList<>();
        int n = reports.size();
        for (int i = 0; i < n; i++) {
            out.add(String.format(Locale.ROOT, "%s = %s", column(i), labels.get(i)));
        }
        out.add("");
        // the options, flattened: run.* and the scenario's own
        List<Map<String, Object>> options = new ArrayList<>();
        Set<String> keys = new LinkedHashSet<>();
        for (Map<String, Object> r : reports) {
            Map<String, Object> flat = new LinkedHashMap<>();
            if (r.get("run") instanceof Map<?, ?> run) {
                run.forEach((k, v) -> {
                    if (v instanceof Map<?, ?> sub) {
                        sub.forEach((k2, v2) -> flat.put(k + "." + k2, v2));
                    } else if (!List.of("trace", "trace_limit", "progress").contains(String.valueOf(k))) {
                        flat.put(String.valueOf(k), v);
                    }
                });
            } else {
                flat.put("scenario", r.get("scenario"));
                flat.put("cpus", r.get("cpus"));
                flat.put("seed", r.get("seed"));
            }
            options.add(flat);
            keys.addAll(flat.keySet());
        }
        List<List<String>> rows = new ArrayList<>();
        for (String k : keys) {
            List<Object> values = new ArrayList<>();
            for (Map<String, Object> o : options) {
                values.add(o.get(k));
            }
            if (values.stream().distinct().count() > 1) {
                List<String> row = new ArrayList<>();
                row.add(k);
                values.forEach(v -> row.add(String.valueOf(v)));
                rows.add(row);
            }
        }
        out.add("options that differ:");
        if (rows.isEmpty()) {
            out.add("  (none)");
        } else {
            out.addAll(table(header("option", n, false), rows));
        }
        out.add("");
        List<List<String>> summary = new ArrayList<>();
        summary.add(numberRow("operations", reports, r -> Json.at(r, "ops")));
        summary.add(numberRow("simulated cycles", reports, r -> Json.at(r, "simulated_cycles")));
        summary.add(numberRow("ops/s host", reports, r -> Json.at(r, "throughput_per_s")));
        summary.add(numberRow("ops/s simulated", reports, r -> Json.at(r, "throughput_per_simulated_s")));
        List<String> outcome = new ArrayList<>(List.of("outcome"));
        reports.forEach(r -> outcome.add(String.valueOf(r.get("outcome"))));
        summary.add(outcome);
        out.addAll(table(header("run", n, true), summary));
        out.add("");
        for (String unit : List.of("cycles", "host_ns")) {
            List<List<String>> lat = new ArrayList<>();
            for (String p : PERCENTILES) {
                lat.add(numberRow(p, reports, r -> Json.at(r, "latency." + unit + "." + p)));
            }
            out.addAll(table(header("latency " + ("cycles".equals(unit) ? "(cycles)" : "(host ns)"), n, true), lat));
            out.add("");
        }
        Set<String> counters = new LinkedHashSet<>();
        for (Map<String, Object> r : reports) {
            if (Json.at(r, "counters.total") instanceof Map<?, ?> m) {
                m.forEach((k, v) -> {
                    if (v instanceof Number x && x.doubleValue() != 0) {
                        counters.add(String.valueOf(k));
                    }
                });
            }
        }
        List<List<String>> perOp = new ArrayList<>();
        for (String c : counters) {
            perOp.add(numberRow(c, reports, r -> perOp(r, c)));
        }
        out.addAll(table(header("counters per operation", n, true), perOp));
        return out;
    }

    private static Object perOp(Map<String, Object> r, String counter) {
        Object total = Json.at(r, "counters.total") instanceof Map<?, ?> m ? m.get(counter) : null;
        Object ops = r.get("ops");
        if (total instanceof Number t && ops instanceof Number o && o.longValue() > 0) {
            return t.doubleValue() / o.doubleValue();
        }
        return total == null ? null : 0.0;
    }

    private static String column(int i) {
        return i < 26 ? String.valueOf((char) ('A' + i)) : "R" + (i + 1);
    }

    private static List<String> header(String first, int n, boolean ratios) {
        List<String> h = new ArrayList<>();
        h.add(first);
        for (int i = 0; i < n; i++) {
            h.add(column(i));
        }
        if (ratios) {
            for (int i = 1; i < n; i++) {
                h.add(column(i) + "/" + column(0));
            }
        }
        return h;
    }

    private static List<String> numberRow(String name, List<Map<String, Object>> reports,
                                          java.util.function.Function<Map<String, Object>, Object> value) {
        List<String> row = new ArrayList<>();
        row.add(name);
        List<Object> values = new ArrayList<>();
        for (Map<String, Object> r : reports) {
            Object v = value.apply(r);
            values.add(v);
            row.add(format(v));
        }
        for (int i = 1; i < values.size(); i++) {
            row.add(ratio(values.get(0), values.get(i)));
        }
        return row;
    }

    static String format(Object v) {
        if (v instanceof Long || v instanceof Integer) {
            return String.format(Locale.ROOT, "%,d", ((Number) v).longValue());
        }
        if (v instanceof Number d) {
            double x = d.doubleValue();
            return Math.abs(x) >= 1000 ? String.format(Locale.ROOT, "%,.0f", x)
                    : Math.abs(x) >= 10 ? String.format(Locale.ROOT, "%.1f", x)
                    : String.format(Locale.ROOT, "%.3f", x);
        }
        return v == null ? "-" : String.valueOf(v);
    }

    static String ratio(Object base, Object v) {
        if (base instanceof Number b && v instanceof Number x) {
            double bb = b.doubleValue();
            if (bb == 0) {
                return x.doubleValue() == 0 ? "1.000" : "-";
            }
            return String.format(Locale.ROOT, "%.3f", x.doubleValue() / bb);
        }
        return Objects.equals(base, v) ? "1.000" : "-";
    }

    /** Left-aligned first column, right-aligned others, two spaces between. */
    private static List<String> table(List<String> header, List<List<String>> rows) {
        int cols = header.size();
        int[] w = new int[cols];
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        for (List<String> r : all) {
            for (int c = 0; c < cols && c < r.size(); c++) {
                w[c] = Math.max(w[c], r.get(c).length());
            }
        }
        List<String> out = new ArrayList<>();
        for (List<String> r : all) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < cols; c++) {
                String cell = c < r.size() ? r.get(c) : "";
                if (c == 0) {
                    sb.append(String.format("%-" + w[0] + "s", cell));
                } else {
                    sb.append("  ").append(String.format("%" + w[c] + "s", cell));
                }
            }
            out.add(sb.toString().stripTrailing());
        }
        return out;
    }
}
