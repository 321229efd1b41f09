package l4smp.bench.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * PNG plots of one or more JSON reports ({@code run --plot DIR}, {@code l4smp plot}), drawn
 * with XChart from nothing but the reports:
 * <ul>
 * <li>{@code latency-cycles.png}, {@code latency-host-ns.png}: the latency percentile
 *     distribution in HdrHistogram's style, the value against 1/(1-p) on a logarithmic axis
 *     labelled in percentiles (90 %, 99 %, 99.9 %, ...); one line per report, overlaid</li>
 * <li>{@code cpu-time.png} (one report): each CPU's simulated time split into busy (memory
 *     accesses charged by the accounting layer, and the rest) and idle</li>
 * <li>{@code counters-per-op.png}: every counter that is not zero, divided by the operations
 *     done, on a logarithmic axis; one bar per report</li>
 * </ul>
 *
 * <p>Stateless; any thread (XChart renders off screen; the JVM runs headless).
 */
public final class Plots {

    static final int WIDTH = 1000;
    static final int HEIGHT = 600;

    private Plots() {
    }

    /** The plots of one run's report (a tree of {@link JsonReport#toTree}) into {@code dir}. */
    public static List<Path> writeRun(Map<String, Object> report, Path dir) throws IOException {
        return write(List.of(report), List.of(label(report)), dir);
    }

    /**
     * The plots of several reports, overlaid, into {@code dir}; {@code labels} name them in the
     * legends. The per-CPU time plot is drawn for a single report only.
     */
    public static List<Path> write(List<Map<String, Object>> reports, List<String> labels, Path dir)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        List<Path> files = new ArrayList<>();
        files.add(save(latency(reports, labels, "cycles", "simulated cycles"), dir.resolve("latency-cycles.png")));
        files.add(save(latency(reports, labels, "host_ns", "host nanoseconds"), dir.resolve("latency-host-ns.png")));
        if (reports.size() == 1) {
            files.add(save(cpuTime(reports.getFirst()), dir.resolve("cpu-time.png")));
        }
        CategoryChart perOp = countersPerOp(reports, labels);
        if (perOp != null) {
            files.add(save(perOp, dir.resolve("counters-per-op.png")));
        }
        return files;
    }

    /** A report's legend label: the scenario and the options that identify it. */
    public static String label(Map<String, Object> report) {
        StringBuilder sb = new StringBuilder(String.valueOf(report.get("scenario")));
        if (report.get("seed") != null) {
            sb.append(" seed ").append(report.get("seed"));
        }
        sb.append(", ").append(report.get("cpus")).append(" CPUs");
        return sb.toString();
    }

    static XChartPlot latency(List<Map<String, Object>> reports, List<String> labels, String unit, String unitName) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Latency by percentile (" + unitName + ")").xAxisTitle("percentile")
                .yAxisTitle(unitName).build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setXAxisLogarithmicDecadeOnly(true);
        chart.getStyler().setXAxisTickLabelsFormattingFunction(Plots::percentileLabel);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setMarkerSize(4);
        boolean any = false;
        Set<String> used = new LinkedHashSet<>();
        for (int i = 0; i < reports.size(); i++) {
            Object points = Json.at(reports.get(i), "latency." + unit + ".percentiles");
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            if (points instanceof List<?> list) {
                for (Object o : list) {
                    List<?> pair = (List<?>) o;
                    double p = ((Number) pair.get(0)).doubleValue() / 100.0;
                    if (p >= 1.0) {
                        continue; // 1/(1-p) is infinite: the maximum has no place on this axis
                    }
                    xs.add(1.0 / (1.0 - p));
                    ys.add(((Number) pair.get(1)).doubleValue());
                }
            }
            if (xs.isEmpty()) {
                continue;
            }
            String name = labels.get(i);
            while (!used.add(name)) {
                name = name + "'";
            }
            XYSeries s = chart.addSeries(name, xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE);
            any = true;
        }
        if (!any) {
            chart.addSeries("no latencies recorded", List.of(1.0, 10.0), List.of(0.0, 0.0));
        }
        return new XChartPlot(chart);
    }

    /** The label of the tick at x = 1/(1-p): the percentile p. */
    static String percentileLabel(double x) {
        double p = 100.0 * (1.0 - 1.0 / x);
        if (p <= 0) {
            return "0%";
        }
        String s = String.format(Locale.ROOT, "%.6f", p).replaceAll("0+$", "").replaceAll("\\.$", "");
        return s + "%";
    }

    static XChartPlot cpuTime(Map<String, Object> report) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Simulated time per CPU").xAxisTitle("CPU").yAxisTitle("cycles").build();
        chart.getStyler().setStacked(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        List<?> clocks = (List<?>) report.get("clocks");
        List<?> perCpu = (List<?>) Json.at(report, "counters.per_cpu");
        List<String> cpus = new ArrayList<>();
        List<Double> user = new ArrayList<>();
        List<Double> kernel = new ArrayList<>();
        List<Double> idle = new ArrayList<>();
        for (int c = 0; c < clocks.size(); c++) {
            Map<?, ?> counters = (Map<?, ?>) perCpu.get(c);
            double clock = ((Number) clocks.get(c)).doubleValue();
            double idleCycles = number(counters.get("cpu.idle_cycles"));
            double userCycles = Math.min(clock - idleCycles, number(counters.get("cpu.user_cycles")));
            cpus.add("cpu" + c);
            idle.add(idleCycles);
            user.add(Math.max(0, userCycles));
            // what is neither idle nor user mode: the kernel (its entries, paths and exits)
            kernel.add(Math.max(0, clock - idleCycles - Math.max(0, userCycles)));
        }
        chart.addSeries("user", cpus, user);
        chart.addSeries("kernel", cpus, kernel);
        chart.addSeries("idle", cpus, idle);
        return new XChartPlot(chart);
    }

    static CategoryChart countersPerOp(List<Map<String, Object>> reports, List<String> labels) {
        Set<String> names = new LinkedHashSet<>();
        for (Map<String, Object> r : reports) {
            if (Json.at(r, "counters.per_op") instanceof Map<?, ?> m) {
                m.forEach((k, v) -> {
                    if (v instanceof Number n && n.doubleValue() > 0) {
                        names.add(String.valueOf(k));
                    }
                });
            }
        }
        if (names.isEmpty()) {
            return null;
        }
        CategoryChart chart = new CategoryChartBuilder().width(Math.max(WIDTH, 200 + 28 * names.size() * reports.size())).height(HEIGHT + 200)
                .title("Counters per operation").xAxisTitle("counter").yAxisTitle("per operation (log)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisLabelRotation(90);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        List<String> categories = List.copyOf(names);
        // A logarithmic axis has no zero: a counter a report lacks is drawn at the axis's floor,
        // a decade below the smallest value, where its bar has no height.
        double min = Double.MAX_VALUE;
        for (Map<String, Object> r : reports) {
            if (Json.at(r, "counters.per_op") instanceof Map<?, ?> m) {
                for (Object v : m.values()) {
                    if (v instanceof Number n && n.doubleValue() > 0) {
                        min = Math.min(min, n.doubleValue());
                    }
                }
            }
        }
        double floor = Math.pow(10, Math.floor(Math.log10(min)) - 1);
        chart.getStyler().setYAxisMin(floor);
        for (int i = 0; i < reports.size(); i++) {
            Map<?, ?> perOp = Json.at(reports.get(i), "counters.per_op") instanceof Map<?, ?> m ? m : Map.of();
            List<Double> values = new ArrayList<>();
            for (String n : categories) {
                double v = number(perOp.get(n));
                values.add(v > 0 ? v : floor);
            }
            chart.addSeries(labels.get(i) + (reports.size() > 1 ? " #" + (i + 1) : ""), categories, values);
        }
        return chart;
    }

    private static double number(Object o) {
        return o instanceof Number n ? n.doubleValue() : 0.0;
    }

    private static Path save(Object chart, Path file) throws IOException {
        Chart<?, ?> c = chart instanceof XChartPlot p ? p.chart() : (Chart<?, ?>) chart;
        BitmapEncoder.saveBitmap(c, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        return file;
    }

    /** A chart built by this class (so that tests can draw one without a file). */
    record XChartPlot(Chart<?, ?> chart) {
    }
}
