package l4smp.bench.cli;

import l4smp.bench.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report tools end to end through the command line: a self-describing JSON report, its
 * replay (same trace hash, counters and cycles), {@code compare} and {@code plot}.
 */
class ReportToolsTest {

    record Result(int code, String out, String err) {
    }

    static Result l4smp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = L4smpCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static Map<?, ?> json(Path file) throws Exception {
        return (Map<?, ?>) MiniJson.parse(Files.readString(file));
    }

    /** A cross-processor pingpong with a naive TCB layout, a 500 us tick and a slack: none of them defaults. */
    static Path seededRun(Path dir, String name) {
        Path json = dir.resolve(name);
        Result r = l4smp("run", "pingpong", "--cpus", "2", "--placement", "cross", "--seed", "11", "--ops", "300",
                "--strategy", "random", "--tcb-layout", "naive", "--tick-us", "500", "--timeslice-ticks", "3",
                "--slack", "5000", "--no-progress", "--json", json.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        return json;
    }

    @Test
    void theJsonReportNamesEveryOptionOfTheRun(@TempDir Path dir) throws Exception {
        Map<?, ?> root = json(seededRun(dir, "a.json"));
        assertEquals(2L, MiniJson.at(root, "schema_version"));
        Map<?, ?> run = (Map<?, ?>) MiniJson.at(root, "run");
        assertEquals("pingpong", run.get("scenario"));
        assertEquals(Map.of("placement", "cross", "pairs", 1L, "latency", true), run.get("scenario_options"));
        assertEquals(2L, run.get("cpus"));
        assertEquals(300L, run.get("ops"));
        assertEquals(11L, run.get("seed"));
        assertEquals("random", run.get("strategy"));
        assertEquals(5000L, run.get("slack"));
        assertEquals("PIII_450", run.get("preset"));
        assertEquals(true, run.get("accounting"));
        assertEquals("naive", run.get("tcb_layout"));
        assertEquals(500.0, run.get("tick_us"));
        assertEquals(3L, run.get("timeslice_ticks"));
        assertEquals(List.of(), run.get("fail_cpus"));
        assertEquals("thesis", run.get("abi"));
        for (String key : List.of("l4smp.version", "l4smp.commit", "jvm.version", "jvm.vendor", "host.os",
                "host.arch", "host.processors")) {
            assertTrue(MiniJson.at(root, key) != null, key);
        }
        assertTrue(((List<?>) MiniJson.at(root, "command_line")).contains("--tcb-layout"));
        assertTrue(((List<?>) MiniJson.at(root, "latency.cycles.percentiles")).size() > 5);
        assertNoKeyWithSpaces(root, "");
    }

    @Test
    void theFailedCpusAreInTheReport(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("boot.json");
        Result r = l4smp("run", "boot", "--cpus", "4", "--fail-cpu", "2", "--seed", "1", "--ops", "4",
                "--no-progress", "--json", json.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertEquals(List.of(2L), MiniJson.at(json(json), "run.fail_cpus"));
        assertEquals(Map.of("1", "cpu0", "2", "cpu1", "3", "cpu3"), MiniJson.at(json(json), "results.numbering"),
                "processor numbers to physical CPUs, an object");
    }

    @Test
    void aScenarioMapIsAnObjectWithoutSpacesInItsNames(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("xp.json");
        Result r = l4smp("run", "xp-detect", "--seed", "2", "--ops", "40", "--no-progress", "--json", json.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        Map<?, ?> root = json(json);
        Object byProcessor = MiniJson.at(root, "results.aborts_by_partner_processor");
        assertInstanceOf(Map.class, byProcessor, String.valueOf(byProcessor));
        assertNoKeyWithSpaces(root, "");
    }

    static void assertNoKeyWithSpaces(Object node, String path) {
        if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                assertFalse(String.valueOf(k).contains(" "), () -> "key '" + k + "' at " + path);
                assertNoKeyWithSpaces(v, path + "." + k);
            });
        } else if (node instanceof List<?> l) {
            l.forEach(v -> assertNoKeyWithSpaces(v, path + "[]"));
        }
    }

    @Test
    void aReplayRunsTheSameRun(@TempDir Path dir) throws Exception {
        Path a = seededRun(dir, "a.json");
        Path b = dir.resolve("b.json");
        Result r = l4smp("run", "--replay", a.toString(), "--no-progress", "--json", b.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        Map<?, ?> ra = json(a);
        Map<?, ?> rb = json(b);
        assertEquals(ra.get("run"), rb.get("run"));
        for (String key : List.of("trace_hash", "trace_events", "simulated_cycles", "clocks", "counters.total",
                "counters.per_cpu", "latency.cycles.p50", "latency.cycles.max", "results")) {
            assertEquals(MiniJson.at(ra, key), MiniJson.at(rb, key), key);
        }
        // the replay followed the recorded options, not the defaults
        Result plain = l4smp("run", "pingpong", "--cpus", "2", "--placement", "cross", "--seed", "11", "--ops", "300",
                "--no-progress", "--json", dir.resolve("c.json").toString());
        assertEquals(0, plain.code(), plain.err());
        assertNotEquals(MiniJson.at(ra, "trace_hash"), MiniJson.at(json(dir.resolve("c.json")), "trace_hash"));
    }

    /**
     * {@code --abi x2}: the reports name the ABI (text: the first line; JSON: run.abi and the
     * summary's abi), the processor numbers a user sees are X.2's (0-based: the XP aborts name
     * the server's processor 0; thesis 7.2: 1), and a replay runs the same ABI again.
     */
    @Test
    void theAbiIsAnOptionTheReportsNameAndTheReplayKeeps(@TempDir Path dir) throws Exception {
        Path x2 = dir.resolve("x2.json");
        Result r = l4smp("run", "xp-detect", "--abi", "x2", "--seed", "2", "--ops", "40", "--no-progress", "--json",
                x2.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("options: ") && l.endsWith("; x2 ABI")), r.out());
        Map<?, ?> root = json(x2);
        assertEquals("x2", MiniJson.at(root, "run.abi"));
        assertEquals("x2", MiniJson.at(root, "abi"));
        Map<?, ?> byProcessor = (Map<?, ?>) MiniJson.at(root, "results.aborts_by_partner_processor");
        assertTrue(((Number) byProcessor.get("0")).longValue() > 0, String.valueOf(byProcessor));
        assertEquals(0L, MiniJson.at(root, "results.wrong_processor_numbers"));
        Path thesis = dir.resolve("thesis.json");
        assertEquals(0, l4smp("run", "xp-detect", "--seed", "2", "--ops", "40", "--no-progress", "--json",
                thesis.toString()).code());
        assertEquals("thesis", MiniJson.at(json(thesis), "run.abi"));
        Map<?, ?> thesisByProcessor = (Map<?, ?>) MiniJson.at(json(thesis), "results.aborts_by_partner_processor");
        assertEquals(byProcessor.get("0"), thesisByProcessor.get("1"), "the same aborts, numbered 1..k");
        Path again = dir.resolve("again.json");
        Result replay = l4smp("run", "--replay", x2.toString(), "--no-progress", "--json", again.toString());
        assertEquals(0, replay.code(), replay.err());
        assertEquals(root.get("run"), json(again).get("run"));
        assertEquals(MiniJson.at(root, "trace_hash"), MiniJson.at(json(again), "trace_hash"));
        Result bad = l4smp("run", "pingpong", "--abi", "x3", "--ops", "10");
        assertEquals(L4smpCommand.EXIT_USAGE, bad.code(), bad.err());
        assertEquals(1, bad.err().lines().count(), bad.err());
        assertTrue(bad.err().contains("--abi") && bad.err().contains("x3"), bad.err());
    }

    @Test
    void aReplayRefusesOptionsThatChangeTheRun(@TempDir Path dir) throws Exception {
        Path a = seededRun(dir, "a.json");
        for (List<String> args : List.of(List.of("--seed", "3"), List.of("pingpong"), List.of("--cpus", "4"))) {
            List<String> all = new java.util.ArrayList<>(List.of("run", "--replay", a.toString()));
            all.addAll(args);
            Result r = l4smp(all.toArray(String[]::new));
            assertEquals(L4smpCommand.EXIT_USAGE, r.code(), args + ": " + r.out() + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains("--replay"), r.err());
        }
        Files.writeString(dir.resolve("bad.json"), "{\"scenario\": 1");
        Result r = l4smp("run", "--replay", dir.resolve("bad.json").toString());
        assertEquals(L4smpCommand.EXIT_USAGE, r.code(), r.err());
    }

    @Test
    void compareShowsTheDifferingOptionsAndRatios(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("grouped.json");
        Path b = dir.resolve("naive.json");
        for (Path p : List.of(a, b)) {
            Result r = l4smp("run", "pingpong", "--cpus", "2", "--placement", "cross", "--seed", "4", "--ops", "200",
                    "--no-progress", "--tcb-layout", p == a ? "grouped" : "naive", "--json", p.toString());
            assertEquals(0, r.code(), r.err());
        }
        Result r = l4smp("compare", a.toString(), b.toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.contains("A = grouped"), r.out());
        String layout = lines.stream().filter(l -> l.startsWith("tcb_layout")).findFirst().orElseThrow();
        assertTrue(layout.matches("tcb_layout\\s+grouped\\s+naive"), layout);
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("seed ")), "the seed is the same: " + r.out());
        // the p50 row: A's and B's cycles and their ratio, as the reports have them
        long pa = (Long) MiniJson.at(json(a), "latency.cycles.p50");
        long pb = (Long) MiniJson.at(json(b), "latency.cycles.p50");
        String p50 = lines.stream().filter(l -> l.startsWith("p50 ")).findFirst().orElseThrow();
        assertEquals(List.of("p50", String.format("%,d", pa), String.format("%,d", pb),
                String.format(java.util.Locale.ROOT, "%.3f", pb / (double) pa)), List.of(p50.trim().split("\\s+")));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("kernel.traps ")), r.out());
        assertEquals(L4smpCommand.EXIT_USAGE, l4smp("compare", a.toString()).code(), "one report is no comparison");
    }

    @Test
    void plotDrawsPngsWithEveryRunOnThem(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("local.json");
        Path plots = dir.resolve("plots");
        Result r = l4smp("run", "pingpong", "--cpus", "2", "--seed", "4", "--ops", "200", "--no-progress", "--json",
                a.toString(), "--plot", plots.toString());
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("latency-cycles.png", "latency-host-ns.png", "cpu-time.png", "counters-per-op.png")) {
            BufferedImage img = ImageIO.read(plots.resolve(f).toFile());
            assertTrue(img.getWidth() >= 1000 && img.getHeight() >= 600, f + " " + img.getWidth() + "x" + img.getHeight());
            assertTrue(distinctColours(img) > 20, f + " is drawn on, not blank");
        }
        Path b = dir.resolve("cross.json");
        assertEquals(0, l4smp("run", "pingpong", "--cpus", "2", "--placement", "cross", "--seed", "4", "--ops", "200",
                "--no-progress", "--json", b.toString()).code());
        Path both = dir.resolve("both");
        Result p = l4smp("plot", "--out", both.toString(), a.toString(), b.toString());
        assertEquals(0, p.code(), p.err());
        BufferedImage one = ImageIO.read(plots.resolve("latency-cycles.png").toFile());
        BufferedImage two = ImageIO.read(both.resolve("latency-cycles.png").toFile());
        // XChart's default theme draws the first series blue, the second orange
        assertTrue(count(two, ReportToolsTest::orange) > 200, "the second run's line is on the overlay");
        assertEquals(0, count(one, ReportToolsTest::orange), "one run, one colour");
        assertTrue(count(two, ReportToolsTest::blue) > 200, "the first run's line is on the overlay");
        assertTrue(count(one, ReportToolsTest::blue) > 200, "the run's line is drawn");
        assertFalse(Files.exists(both.resolve("cpu-time.png")), "per-CPU time is drawn for one report only");
    }

    static boolean blue(int rgb) {
        int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
        return b > r + 80 && b > g + 40;
    }

    static boolean orange(int rgb) {
        int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
        return r > b + 80 && g > b + 40;
    }

    static int count(BufferedImage img, java.util.function.IntPredicate colour) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if (colour.test(img.getRGB(x, y))) {
                    n++;
                }
            }
        }
        return n;
    }

    static int distinctColours(BufferedImage img) {
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                colours.add(img.getRGB(x, y));
            }
        }
        return colours.size();
    }

    @Test
    void aReportWithoutLatenciesStillPlots(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("empty.json");
        Files.writeString(f, "{\"scenario\":\"x\",\"cpus\":1,\"clocks\":[5],\"counters\":{\"per_cpu\":[{}],"
                + "\"per_op\":{}},\"latency\":{\"cycles\":{},\"host_ns\":{}}}");
        Result p = l4smp("plot", "--out", dir.resolve("p").toString(), f.toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(Files.size(dir.resolve("p").resolve("latency-cycles.png")) > 1000);
    }
}
