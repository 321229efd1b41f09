package l4smp.bench.cli;

import l4smp.bench.report.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code l4smp bench --json}: the names and the layout of its figures are stable and complete,
 * and each figure's numbers and verdict agree with each other. Host timing is never asserted:
 * the runs are tiny and their figures whatever the host made of them.
 */
class BenchJsonTest {

    /** Every figure of {@code --what all --mode both}, in the order written. */
    static final List<String> ALL = List.of(
            "timing.pingpong_local.parallel_ns_per_op",
            "timing.pingpong_local.seeded_ns_per_op",
            "timing.pingpong_local.ratio_parallel_seeded",
            "timing.pingpong_cross.parallel_ns_per_op",
            "timing.pingpong_cross.seeded_ns_per_op",
            "timing.pingpong_cross.ratio_parallel_seeded",
            "timing.client_server_2cpus_4clients.parallel_ns_per_op",
            "timing.client_server_2cpus_4clients.seeded_ns_per_op",
            "timing.client_server_2cpus_4clients.ratio_parallel_seeded",
            "timing.interrupt_storm_handler_cpu1.parallel_ns_per_op",
            "timing.interrupt_storm_handler_cpu1.seeded_ns_per_op",
            "timing.interrupt_storm_handler_cpu1.ratio_parallel_seeded",
            "heap.bytes_per_thread_created",
            "heap.bytes_per_thread_run",
            "memory.l1_hit_mps",
            "memory.l1_hit_write_mps",
            "memory.l2_miss_mps",
            "memory.l2_miss_concurrent_mps",
            "threads.calls_per_s_10",
            "threads.calls_per_s_10000",
            "threads.ratio_10000_vs_10",
            "threads.ratio_marginal_10000_vs_10",
            "cross.ratio_on_off",
            "cross.ratio_spsc",
            "cross.simulated_cycles_per_round_trip",
            "cross.simulated_lines_moved_per_round_trip",
            "local.baseline_ns",
            "local.kernel_off_ns",
            "local.kernel_on_ns",
            "local.ratio_off",
            "local.ratio_on",
            "local.kernel_deterministic_ns",
            "local.ratio_deterministic");

    /** The goals of the figures that have one: operator and bound. */
    static final Map<String, Object> GOALS = Map.ofEntries(
            Map.entry("local.ratio_off", List.of("<=", 1.5)),
            Map.entry("local.ratio_on", List.of("<=", 3.0)),
            Map.entry("cross.ratio_on_off", List.of("<=", 1.2)),
            Map.entry("cross.ratio_spsc", List.of("<=", 10.7)),
            Map.entry("memory.l1_hit_mps", List.of(">=", 74.0)),
            Map.entry("memory.l2_miss_mps", List.of(">=", 30.0)),
            Map.entry("threads.ratio_10000_vs_10", List.of(">=", 0.8)),
            Map.entry("timing.pingpong_local.ratio_parallel_seeded", List.of("<=", 1.0)),
            Map.entry("timing.pingpong_cross.ratio_parallel_seeded", List.of("<=", 1.0)),
            Map.entry("timing.client_server_2cpus_4clients.ratio_parallel_seeded", List.of("<=", 1.0)),
            Map.entry("timing.interrupt_storm_handler_cpu1.ratio_parallel_seeded", List.of("<=", 1.0)));

    /**
     * {@code --what all}, each group in a JVM of its own (the default) and all in this one
     * ({@code --in-process}): the same figures, names and layout either way.
     */
    @ParameterizedTest(name = "in process: {0}")
    @ValueSource(booleans = {false, true})
    @SuppressWarnings("unchecked")
    void allWritesEveryFigureUnderItsStableNameWithItsSpreadGoalAndVerdict(boolean inProcess, @TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("sub/bench.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new java.util.ArrayList<>(List.of("bench", "--what", "all", "--rounds", "2000", "--warmup", "0",
                "--iterations", "1", "--json", file.toString()));
        if (inProcess) {
            args.add("--in-process");
        }
        int code = L4smpCommand.execute(args.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, () -> err + "\n" + out);
        Map<String, Object> doc = (Map<String, Object>) Json.read(file);

        assertEquals(List.of("schema", "schema_version", "l4smp", "jvm", "host", "options", "started_at",
                "finished_at", "figures"), List.copyOf(doc.keySet()));
        assertEquals("l4smp-bench", doc.get("schema"));
        Map<String, Object> host = (Map<String, Object>) doc.get("host");
        assertEquals(Set.of("os", "os_version", "arch", "processors", "load_average_start", "load_average_end"),
                host.keySet());
        assertEquals(((Number) host.get("processors")).intValue(), Runtime.getRuntime().availableProcessors());
        assertEquals(Map.of("what", "all", "mode", "both", "rounds", 2000L, "warmup", 0L, "iterations", 1L,
                "in_process", inProcess), doc.get("options"));
        assertEquals(!inProcess, out.toString().contains("each group in a JVM of its own"), out.toString());

        Map<String, Object> figures = (Map<String, Object>) doc.get("figures");
        assertEquals(ALL, List.copyOf(figures.keySet()), "the figures of --what all, by name, in order");
        for (String name : ALL) {
            Map<String, Object> f = (Map<String, Object>) figures.get(name);
            assertEquals(List.of("median", "min", "max", "runs", "unit", "goal", "verdict"), List.copyOf(f.keySet()), name);
            double median = ((Number) f.get("median")).doubleValue();
            double min = ((Number) f.get("min")).doubleValue();
            double max = ((Number) f.get("max")).doubleValue();
            long runs = ((Number) f.get("runs")).longValue();
            assertTrue(min <= median && median <= max, () -> name + ": median outside [min, max]: " + f);
            assertTrue(runs >= 1, name);
            assertTrue(min > 0 && Double.isFinite(max), () -> name + ": " + f);
            String verdict = (String) f.get("verdict");
            Object goal = GOALS.get(name);
            if (goal == null) {
                assertEquals(null, f.get("goal"), name);
                assertEquals("no_goal", verdict, name);
                continue;
            }
            Map<String, Object> g = (Map<String, Object>) f.get("goal");
            assertNotNull(g, name);
            assertEquals(goal, List.of(g.get("op"), ((Number) g.get("value")).doubleValue()), name);
            double bound = ((Number) g.get("value")).doubleValue();
            boolean atMost = g.get("op").equals("<=");
            boolean allMeet = atMost ? max <= bound : min >= bound;
            boolean noneMeets = atMost ? min > bound : max < bound;
            switch (verdict) {
                case "met" -> assertTrue(allMeet, () -> name + " met, but not in every run: " + f);
                case "not_met" -> assertTrue(noneMeets, () -> name + " not met, but met in a run: " + f);
                case "undecidable" -> assertTrue(!allMeet && !noneMeets || min < 1.0 && atMost,
                        () -> name + " undecidable, but every run agrees: " + f);
                default -> throw new AssertionError(name + ": verdict " + verdict);
            }
        }
        // the cross-processor figures come from five interleaved runs each, whatever --iterations
        assertEquals(5L, ((Number) ((Map<String, Object>) figures.get("cross.ratio_spsc")).get("runs")).longValue());
        // the text says the same as the file
        assertTrue(out.toString().contains("10,000 vs 10 clients: ratio"), out.toString());
        assertTrue(out.toString().contains("10,000 vs 10 clients: marginal ratio"), out.toString());
    }

    /**
     * {@code --what scaling}: for accounting off then on and each N ascending, the ops per host
     * second and the factor against 1 pair, each from every measured iteration; the factor of 1
     * pair is exactly 1; the options name the list; a list with more pairs than the host's cores
     * says that figure measures oversubscription. Not part of {@code --what all} ({@link #ALL}).
     */
    @Test
    @SuppressWarnings("unchecked")
    void scalingWritesOpsPerSecondAndTheFactorOfEachPairCount(@TempDir Path dir) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        int over = Math.min(cores + 1, 64); // more pairs than host cores, where the simulated maximum allows
        Path file = dir.resolve("scaling.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = L4smpCommand.execute(new String[] {"bench", "--what", "scaling", "--pairs-list", over + ",1",
                "--rounds", "4000", "--warmup", "0", "--iterations", "2", "--json", file.toString()},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, () -> err + "\n" + out);
        Map<String, Object> doc = (Map<String, Object>) Json.read(file);
        assertEquals(Map.of("what", "scaling", "mode", "both", "rounds", 4000L, "warmup", 0L, "iterations", 2L,
                "pairs_list", List.of(1L, (long) over)), doc.get("options"));
        Map<String, Object> figures = (Map<String, Object>) doc.get("figures");
        String n = "pairs_" + over;
        assertEquals(List.of("scaling.off.pairs_1.ops_per_s", "scaling.off.pairs_1.factor",
                "scaling.off." + n + ".ops_per_s", "scaling.off." + n + ".factor",
                "scaling.on.pairs_1.ops_per_s", "scaling.on.pairs_1.factor",
                "scaling.on." + n + ".ops_per_s", "scaling.on." + n + ".factor"), List.copyOf(figures.keySet()));
        for (Map.Entry<String, Object> e : figures.entrySet()) {
            Map<String, Object> f = (Map<String, Object>) e.getValue();
            assertEquals(List.of("median", "min", "max", "runs", "unit", "goal", "verdict"), List.copyOf(f.keySet()));
            assertEquals(2L, ((Number) f.get("runs")).longValue(), e.getKey());
            assertEquals(e.getKey().endsWith(".factor") ? "ratio" : "ops/s", f.get("unit"), e.getKey());
            assertEquals("no_goal", f.get("verdict"), e.getKey());
            double min = ((Number) f.get("min")).doubleValue();
            double median = ((Number) f.get("median")).doubleValue();
            double max = ((Number) f.get("max")).doubleValue();
            assertTrue(0 < min && min <= median && median <= max && Double.isFinite(max), () -> e.getKey() + ": " + f);
            if (e.getKey().contains(".pairs_1.factor")) {
                assertEquals(List.of(1.0, 1.0, 1.0), List.of(min, median, max), e.getKey());
            }
        }
        String text = out.toString();
        assertTrue(text.contains("host cores: " + cores), text);
        assertTrue(over <= cores || text.contains(over + " pairs: more CPU threads than the host's " + cores
                + " cores: that figure measures oversubscription"), text);
        assertTrue(text.contains("  1 pair,  accounting off") && text.contains(over + " pairs, accounting on "), text);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSingleMeasurementWritesOnlyItsFigures(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("local.json");
        int code = L4smpCommand.execute(new String[] {"bench", "--what", "local", "--mode", "deterministic", "--rounds",
                "1000", "--warmup", "0", "--iterations", "2", "--json", file.toString()},
                new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true));
        assertEquals(0, code);
        Map<String, Object> figures = (Map<String, Object>) ((Map<String, Object>) Json.read(file)).get("figures");
        assertEquals(List.of("local.baseline_ns", "local.kernel_deterministic_ns", "local.ratio_deterministic"),
                List.copyOf(figures.keySet()));
        assertEquals(2L, ((Number) ((Map<String, Object>) figures.get("local.baseline_ns")).get("runs")).longValue());
    }
}
