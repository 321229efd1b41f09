package l4smp.bench.report;

import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.bench.testing.MiniJson;
import l4smp.emulator.trace.EventLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trace goes to temporary files during the run, not into memory; the files say what they hold. */
class TraceStreamingTest {

    private final ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);

    private RunReport run(boolean trace, int limit) {
        return runner.run(RunSpec.builder("pingpong").cpus(2).scenarioOptions(Map.of("placement", "cross"))
                .seed(3L).ops(2000).captureTrace(trace).maxTraceEvents(limit).build());
    }

    @Test
    void aLongTraceIsStreamedAndWrittenWhole(@TempDir Path dir) throws Exception {
        RunReport plain = run(false, 1);
        RunReport r = run(true, 1_000_000);
        try (TraceSpool spool = r.traceSpool()) {
            assertEquals(plain.traceHash(), r.traceHash(), "capturing the trace does not change the run");
            EventLog log = r.eventLogs().getFirst();
            assertTrue(r.traceEvents() > 3L * EventLog.SPOOL_CHUNK, "more events than a few chunks: " + r.traceEvents());
            assertEquals(r.traceEvents(), log.captured());
            assertEquals(List.of(), log.events(), "no event left in memory: all went to the spool");
            Path txt = dir.resolve("t.txt");
            assertEquals(r.traceEvents(), TraceWriter.write(r, txt));
            List<String> lines = Files.readAllLines(txt);
            assertTrue(lines.getFirst().startsWith("# l4smp trace: scenario pingpong, 2 CPUs, deterministic, seed 3"),
                    lines.getFirst());
            assertTrue(lines.get(1).startsWith("# columns: cpu, time"), lines.get(1));
            assertEquals(r.traceEvents(), lines.stream().filter(l -> !l.startsWith("#")).count());
            assertTrue(lines.stream().noneMatch(l -> l.startsWith("# truncated")), "the whole trace");
            assertTrue(lines.getLast().matches("# threads: \\d+=server \\d+=client"), lines.getLast());
            Path json = dir.resolve("t.json");
            TraceWriter.write(r, json);
            Object root = MiniJson.parse(Files.readString(json));
            assertEquals(false, MiniJson.at(root, "otherData.truncated"));
            List<?> events = (List<?>) MiniJson.at(root, "traceEvents");
            assertTrue(events.stream().anyMatch(e -> String.valueOf(((Map<?, ?>) e).get("name")).startsWith("client (")),
                    "thread slices carry the thread's name");
        }
    }

    /**
     * Threads that a running thread creates and that end before the run does are named in the
     * trace too (the fuzzer's children sleep, wait for a message with a timeout and end).
     */
    @Test
    void threadsThatEndedMidRunAreNamed(@TempDir Path dir) throws Exception {
        RunReport r = runner.run(RunSpec.builder("fuzz").cpus(1).seed(1L).ops(200).captureTrace(true).build());
        try (TraceSpool spool = r.traceSpool()) {
            List<String> children = r.threadNames().values().stream().filter(n -> n.matches("fuzz\\d+-child\\d+")).toList();
            assertTrue(children.size() >= 2, "the fuzzer's ended children are named: " + r.threadNames());
            Path txt = dir.resolve("t.txt");
            TraceWriter.write(r, txt);
            String threads = Files.readAllLines(txt).getLast();
            for (String child : children) {
                assertTrue(threads.contains("=" + child), child + " in " + threads);
            }
        }
    }

    @Test
    void aTruncatedTraceSaysSoInTheFile(@TempDir Path dir) throws Exception {
        RunReport r = run(true, 1000);
        try (TraceSpool spool = r.traceSpool()) {
            Path txt = dir.resolve("t.txt");
            assertEquals(1000, TraceWriter.write(r, txt));
            List<String> lines = Files.readAllLines(txt);
            assertTrue(lines.contains("# truncated: the first 1000 of " + r.traceEvents()
                    + " events (--trace-limit); the hash covers all"), String.join("\n", lines.subList(0, 5)));
            Path json = dir.resolve("t.json");
            TraceWriter.write(r, json);
            Object root = MiniJson.parse(Files.readString(json));
            assertEquals(true, MiniJson.at(root, "otherData.truncated"));
            assertEquals(1000L, MiniJson.at(root, "otherData.events_written"));
            assertEquals(r.traceEvents(), MiniJson.at(root, "otherData.events_total"));
            long markers = ((List<?>) MiniJson.at(root, "traceEvents")).stream()
                    .filter(e -> String.valueOf(((Map<?, ?>) e).get("name")).startsWith("trace truncated here")).count();
            assertEquals(2, markers, "a marker on each CPU's track");
        }
    }
}
