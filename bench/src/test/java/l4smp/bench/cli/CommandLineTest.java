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
import static org.junit.jupiter.api.Assertions.assertFalse;
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
                Arguments.of(List.of("bench", "--rounds", "5"), "--rounds"),
                Arguments.of(List.of("bench", "--what", "everything"), "--what"),
                Arguments.of(List.of("bench", "--what", "scaling", "--pairs-list", "0,1"), "--pairs-list"),
                Arguments.of(List.of("bench", "--what", "scaling", "--pairs-list", "1,65"), "--pairs-list"),
                Arguments.of(List.of("bench", "--what", "scaling", "--pairs-list", "1,x"), "--pairs-list"),
                Arguments.of(List.of("bench", "--what", "scaling", "--pairs-list", "2,4"), "--pairs-list"),
                Arguments.of(List.of("bench", "--what", "scaling", "--pairs-list", "1,2,2"), "--pairs-list"),
                Arguments.of(List.of("bench", "--what", "scaling", "--pairs-list", ""), "--pairs-list"),
                Arguments.of(List.of("bench", "--json", ""), "--json"),
                Arguments.of(List.of("bench", "--json", System.getProperty("java.io.tmpdir")), "--json"),
                Arguments.of(List.of("bench", "--json", "/proc/l4smp-no-such-dir/bench.json"), "--json"),
                Arguments.of(List.of("bench", "--what", "all", "--json", "/proc/bench.json"), "--json"),
                Arguments.of(List.of("run", "pingpong", "--timeslice-ticks", "0"), "--timeslice-ticks"),
                Arguments.of(List.of("run", "pingpong", "--tick-us", "0.001"), "--tick-us"),
                Arguments.of(List.of("run", "pingpong", "--tick-us", "0"), "--tick-us"),
                Arguments.of(List.of("run", "pingpong", "--preset", "P4", "--tick-us", "0.0001"), "--tick-us"),
                Arguments.of(List.of("run", "pingpong", "--seed", "1", "--seconds", "2"), "--seconds"),
                Arguments.of(List.of("run", "pingpong", "--trace", "events.csv"), "--trace"),
                Arguments.of(List.of("run", "pingpong", "--trace", "events"), "--trace"),
                Arguments.of(List.of("run", "pingpong", "--json", ""), "--json"),
                Arguments.of(List.of("run", "pingpong", "--trace", ""), "--trace"),
                Arguments.of(List.of("run", "pingpong", "--hgrm", ""), "--hgrm"),
                Arguments.of(List.of("run", "pingpong", "--json", System.getProperty("java.io.tmpdir")), "--json"),
                Arguments.of(List.of("run", "pingpong", "--trace", System.getProperty("java.io.tmpdir")), "--trace"),
                // /proc takes no new files, whoever runs the test (root included)
                Arguments.of(List.of("run", "pingpong", "--json", "/proc/l4smp-no-such-dir/run.json"), "--json"),
                Arguments.of(List.of("run", "pingpong", "--json", "/proc/run.json"), "--json"),
                Arguments.of(List.of("run", "pingpong", "--hgrm", "/proc/l4smp-hgrm"), "--hgrm"),
                Arguments.of(List.of("nosuchcmd"), "unknown command 'nosuchcmd'"),
                Arguments.of(List.of("run", "pager", "--threads", "64", "--window", "4096"), "--window"));
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
    void anExistingFileWhereADirectoryIsNeededIsRefusedBeforeTheRun(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        for (List<String> args : List.of(
                List.of("run", "pingpong", "--hgrm", file.toString()),
                List.of("run", "pingpong", "--json", file.resolve("run.json").toString()),
                List.of("run", "pingpong", "--trace", file.resolve("sub/trace.json").toString()))) {
            Result r = l4smp(args.toArray(String[]::new));
            assertEquals(L4smpCommand.EXIT_USAGE, r.code(), () -> args + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains(args.get(2)) && r.err().contains(file.toString()), r.err());
            assertEquals("", r.out(), "refused before the run");
        }
    }

    @Test
    void missingOutputDirectoriesAreCreated(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("a/b/run.json");
        Path hgrm = dir.resolve("c/d");
        Path trace = dir.resolve("e/trace.txt");
        Result r = l4smp("run", "pingpong", "--seed", "1", "--ops", "20", "--json", json.toString(), "--hgrm",
                hgrm.toString(), "--trace", trace.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(Files.isRegularFile(json) && Files.isRegularFile(trace), r.out());
        assertTrue(Files.isRegularFile(hgrm.resolve("pingpong.cycles.hgrm")), r.out());
    }

    @Test
    void messagesNameTheRightOption() {
        Result slice = l4smp("run", "pingpong", "--timeslice-ticks", "0");
        assertTrue(!slice.err().contains("--tick-us"), slice.err());
        Result pager = l4smp("run", "pager", "--threads", "64", "--window", "4096");
        assertTrue(!pager.err().contains("--memory"), "no such option: " + pager.err());
        Result cmd = l4smp("nosuchcmd");
        assertTrue(!cmd.err().contains("Unmatched argument"), cmd.err());
        assertTrue(cmd.err().contains("run") && cmd.err().contains("list"), "names the commands: " + cmd.err());
    }

    @Test
    void aTickOfOneCycleIsAccepted() {
        // 1/450 us is one cycle of the PIII_450's clock: the shortest tick there is
        Result r = l4smp("run", "pingpong", "--seed", "1", "--ops", "10", "--tick-us", "0.0023", "--no-progress");
        assertEquals(0, r.code(), r.err() + r.out());
    }

    @Test
    void listPrintsOnOffDefaultsAsOnOrOff() {
        Result r = l4smp("list");
        assertEquals(0, r.code(), r.err());
        assertTrue(!r.out().contains("default true") && !r.out().contains("default false"), r.out());
        assertTrue(r.out().contains("--latency on|off") && r.out().contains("default on)"), r.out());
    }

    @Test
    @SuppressWarnings("unchecked")
    void sixtyFourCpusRunWithAccounting(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("64.json");
        Result r = l4smp("run", "pingpong", "--cpus", "64", "--placement", "cross", "--seed", "1", "--ops", "20",
                "--no-progress", "--json", json.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(!r.out().contains("accounting off") && r.out().contains("mem.l1_hits="), r.out());
        Object root = MiniJson.parse(Files.readString(json));
        assertFalse(((java.util.Map<String, Object>) MiniJson.at(root, "results")).containsKey("accounting"), root::toString);
        assertTrue(((List<Object>) MiniJson.at(root, "warnings")).stream()
                .noneMatch(w -> String.valueOf(w).startsWith("accounting")), root::toString);
        assertTrue(r.out().contains("invariants=hold"), r.out());
    }

    @Test
    void theScriptFindsItsRepositoryThroughASymlink(@TempDir Path dir) throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent(); // the tests run in bench/
        Path script = root.resolve("scripts/l4smp");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(script), "scripts/l4smp not found");
        Path link = Files.createSymbolicLink(dir.resolve("l4smp"), script);
        Process p = new ProcessBuilder("bash", "-c", "source \"$1\" && echo \"$L4SMP_ROOT\"", "bash", link.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
        String printed = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(root.toRealPath().toString(), printed);
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
