package l4smp.bench.cli;

import l4smp.bench.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandLineTest {

    /** The outcome of one command line: exit code, stdout, stderr. */
    record Result(int code, String out, String err) {
    }

    static Result l4smp(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = L4smpCommand.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static Stream<Arguments> badCommandLines() {
        return Stream.of(
                Arguments.of(List.of("run", "pingpong", "--cpus", "0"), "--cpus"),
                Arguments.of(List.of("run", "pingpong", "--cpus", "65"), "--cpus"),
                Arguments.of(List.of("run", "pingpong", "--cpus", "two"), "--cpus"),
                Arguments.of(List.of("run", "ipi-pingpong", "--cpus", "1"), "--cpus"),
                Arguments.of(List.of("run", "pingpong", "--ops", "0"), "--ops"),
                Arguments.of(List.of("run", "pingpong", "--seconds", "-1"), "--seconds"),
                Arguments.of(List.of("run", "pingpong", "--strategy", "random"), "--strategy"),
                Arguments.of(List.of("run", "pingpong", "--seed", "1", "--strategy", "fifo"), "--strategy"),
                Arguments.of(List.of("run", "pingpong", "--pin", "maybe"), "--pin"),
                Arguments.of(List.of("run", "pingpong", "--slack", "-3"), "--slack"),
                Arguments.of(List.of("run", "pingpong", "--slack", "lots"), "--slack"),
                Arguments.of(List.of("run", "pingpong", "--preset", "Z80"), "--preset"),
                Arguments.of(List.of("run", "pingpong", "--workers", "4"), "--workers"),
                Arguments.of(List.of("run", "test-options", "--step", "0"), "--step"),
                Arguments.of(List.of("run", "test-options", "--step", "x"), "--step"),
                Arguments.of(List.of("run", "test-options", "--shape", "oval"), "--shape"),
                Arguments.of(List.of("run", "test-options", "--verbose", "perhaps"), "--verbose"),
                Arguments.of(List.of("run", "test-options", "--colour=red"), "--colour"),
                Arguments.of(List.of("run", "test-options", "--step"), "--step"),
                Arguments.of(List.of("run", "no-such-scenario"), "no-such-scenario"),
                Arguments.of(List.of("run"), "scenario"),
                Arguments.of(List.of("--bogus"), "--bogus"),
                Arguments.of(List.of("bench", "--rounds", "5"), "--rounds"));
    }

    @ParameterizedTest
    @MethodSource("badCommandLines")
    void badOptionIsOneLineNamingItAndExitCode2(List<String> args, String named) {
        Result r = l4smp(args.toArray(String[]::new));
        assertEquals(L4smpCommand.EXIT_USAGE, r.code(), () -> "exit code of " + args + "; stderr: " + r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), () -> "one line on stderr for " + args + ", got: " + r.err());
        assertTrue(lines.getFirst().contains(named), () -> "the line names " + named + ": " + lines.getFirst());
        assertTrue(lines.getFirst().contains("--help"), () -> "the line hints at --help: " + lines.getFirst());
        assertEquals("", r.out(), "nothing on stdout");
    }

    @Test
    void listShowsEveryScenarioWithItsOptions() {
        Result r = l4smp("list");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("pingpong - "), r.out());
        assertTrue(r.out().contains("ipi-pingpong - "), r.out());
        assertTrue(r.out().contains("--step N"), r.out());
        assertTrue(r.out().contains("round|square"), r.out());
    }

    @Test
    void scenarioHelpListsTheScenarioOptionsToo() {
        Result r = l4smp("run", "test-options", "--help");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("--cpus"), r.out());
        assertTrue(r.out().contains("Options of scenario test-options"), r.out());
        assertTrue(r.out().contains("--step N"), r.out());
        assertTrue(r.out().contains("--label TEXT"), r.out());
    }

    @Test
    void scenarioOptionsReachTheScenario(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("run.json");
        Result r = l4smp("run", "test-options", "--seed", "1", "--ops", "50", "--step", "7", "--verbose",
                "--shape=square", "--label", "a \"quoted\" label", "--json", json.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        Object root = MiniJson.parse(Files.readString(json));
        assertEquals(7L, MiniJson.at(root, "results.step"));
        assertEquals(Boolean.TRUE, MiniJson.at(root, "results.verbose"));
        assertEquals("square", MiniJson.at(root, "results.shape"));
        assertEquals("a \"quoted\" label", MiniJson.at(root, "results.label"));
        assertEquals(50L, MiniJson.at(root, "ops"));
        assertEquals(3L, MiniJson.at(root, "cpus"), "the scenario's default CPUs");
        assertEquals(7L * 50, MiniJson.at(root, "simulated_cycles"));
        assertEquals(7L, MiniJson.at(root, "latency.cycles.p50"));
    }

    @Test
    void failedRunExitsWith1AndPrintsTheReport() {
        Result r = l4smp("run", "test-throwing", "--seed", "3", "--ops", "10");
        assertEquals(L4smpCommand.EXIT_FAILED, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("outcome: FAILED"), r.out());
        assertTrue(r.out().contains("thrown on purpose"), r.out());
        assertTrue(r.err().contains("failed"), r.err());
    }

    @Test
    @SuppressWarnings("unchecked")
    void runWritesJsonHgrmAndTrace(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("a.json");
        Path hgrm = dir.resolve("hgrm");
        Path trace = dir.resolve("trace.json");
        Result r = l4smp("run", "ipi-pingpong", "--cpus", "2", "--seed", "7", "--ops", "500", "--json",
                json.toString(), "--hgrm", hgrm.toString(), "--trace", trace.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("p99.99"), r.out());
        Object root = MiniJson.parse(Files.readString(json));
        for (String key : List.of("scenario", "cpus", "ops", "seed", "mode", "throughput_per_s", "trace_hash",
                "outcome", "counters.per_cpu", "counters.total")) {
            MiniJson.at(root, key);
        }
        for (String unit : List.of("cycles", "host_ns")) {
            for (String p : List.of("p50", "p90", "p99", "p999", "p9999", "max", "mean", "count")) {
                MiniJson.at(root, "latency." + unit + "." + p);
            }
        }
        assertEquals("ipi-pingpong", MiniJson.at(root, "scenario"));
        assertEquals(7L, MiniJson.at(root, "seed"));
        assertEquals("deterministic", MiniJson.at(root, "mode"));
        assertEquals("ok", MiniJson.at(root, "outcome"));
        assertEquals(500L, MiniJson.at(root, "latency.cycles.count"));
        List<Object> perCpu = (List<Object>) MiniJson.at(root, "counters.per_cpu");
        assertEquals(2, perCpu.size());
        assertEquals(500L, ((Map<String, Object>) perCpu.get(0)).get("ipi.sent"));
        assertEquals(1000L, ((Map<String, Object>) MiniJson.at(root, "counters.total")).get("ipi.taken"));
        assertTrue(Files.exists(hgrm.resolve("ipi-pingpong.cycles.hgrm")));
        assertTrue(Files.exists(hgrm.resolve("ipi-pingpong.ns.hgrm")));
        Map<String, Object> chrome = (Map<String, Object>) MiniJson.parse(Files.readString(trace));
        List<Object> events = (List<Object>) chrome.get("traceEvents");
        long starts = events.stream().filter(e -> "s".equals(((Map<String, Object>) e).get("ph"))).count();
        long finishes = events.stream().filter(e -> "f".equals(((Map<String, Object>) e).get("ph"))).count();
        assertEquals(1000, starts, "one arrow per IPI");
        assertEquals(starts, finishes);
    }

    @Test
    void parallelModeRunOfPingPong() {
        Result r = l4smp("run", "pingpong", "--ops", "2000", "--pin", "off", "--no-progress");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("operations: 2,000 of 2,000"), r.out());
        assertTrue(r.out().contains("ipc.local=4000"), r.out());
    }
}
