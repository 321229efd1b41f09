package l4smp.bench.jfr;

import l4smp.bench.report.RunReport;
import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flight recording of a run holds an event for each of the machine's IPCs, IPIs, shootdown
 * IPIs and page faults, as many as the kernel's counters count, with the simulated CPU and
 * clock; recording changes nothing in the run.
 */
class FlightRecordingTest {

    private final ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);

    record Recorded(RunReport report, Map<String, List<RecordedEvent>> events) {
        long count(String name) {
            return events.getOrDefault(name, List.of()).size();
        }
    }

    private Recorded record(Path file, RunSpec spec) throws Exception {
        RunReport r;
        try (FlightRecording rec = FlightRecording.start(file)) {
            r = runner.run(spec, rec.listener());
        }
        Map<String, List<RecordedEvent>> byName = new HashMap<>();
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().startsWith("l4smp.")) {
                byName.computeIfAbsent(e.getEventType().getName(), k -> new java.util.ArrayList<>()).add(e);
            }
        }
        assertTrue(r.ok(), r.outcome().toString());
        return new Recorded(r, byName);
    }

    @Test
    void ipcsAndIpisOfACrossProcessorPingpong(@TempDir Path dir) throws Exception {
        RunSpec spec = RunSpec.builder("pingpong").cpus(2).scenarioOptions(Map.of("placement", "cross")).seed(2L)
                .ops(500).build();
        Recorded rec = record(dir.resolve("a.jfr"), spec);
        RunReport r = rec.report();
        assertEquals(runner.run(spec).traceHash(), r.traceHash(), "recording does not change the run");
        assertEquals(r.counterTotal("ipc.xcpu"), rec.count("l4smp.XpIpc"));
        assertEquals(r.counterTotal("ipc.local"), rec.count("l4smp.Ipc"));
        assertEquals(r.counterTotal("ipi.sent"), rec.count("l4smp.Ipi"));
        assertEquals(r.counterTotal("ipi.taken"), rec.count("l4smp.IpiTaken"));
        long maxClock = r.simulatedCycles();
        for (RecordedEvent e : rec.events().get("l4smp.XpIpc")) {
            assertTrue(e.getInt("cpu") >= 0 && e.getInt("cpu") < 2);
            assertTrue(e.getInt("senderCpu") != e.getInt("cpu"), "crossed processors");
            assertTrue(e.getLong("cycles") > 0 && e.getLong("cycles") <= maxClock);
        }
    }

    @Test
    void pageFaultsAndShootdowns(@TempDir Path dir) throws Exception {
        Recorded pager = record(dir.resolve("p.jfr"), RunSpec.builder("pager").seed(1L).ops(100).build());
        long faults = pager.report().counterTotal("space.page_faults");
        assertTrue(faults > 0);
        assertEquals(faults, pager.count("l4smp.PageFault"));
        Recorded unmap = record(dir.resolve("u.jfr"), RunSpec.builder("unmap-storm").cpus(4).seed(1L).ops(50).build());
        long sent = unmap.report().counterTotal("tlb.shootdown_ipis_sent");
        assertTrue(sent > 0);
        assertEquals(sent, unmap.count("l4smp.Shootdown"));
    }

    /**
     * Whoever the senders are (threads that migrate between their IPCs, interrupts delivered to
     * a handler on another CPU, page faults, many clients), the recording has one cross-processor
     * IPC event per cross-processor IPC the kernel counts and one local per local: the kernel
     * records which path delivered each, and the sender's CPU when the copy ran.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"migration-storm", "interrupt-storm", "pager", "client-server"})
    void ipcsOfEveryKindOfSender(String scenario, @TempDir Path dir) throws Exception {
        Map<String, String> options = switch (scenario) {
            case "interrupt-storm" -> Map.of("handler-cpu", "1");
            case "pager" -> Map.of("placement", "cross");
            case "client-server" -> Map.of("clients", "6");
            default -> Map.of();
        };
        Recorded rec = record(dir.resolve("s.jfr"), RunSpec.builder(scenario).cpus(4).scenarioOptions(options)
                .seed(3L).ops(400).build());
        RunReport r = rec.report();
        if (!scenario.equals("interrupt-storm")) { // its interrupts are delivered on the handler's CPU
            assertTrue(r.counterTotal("ipc.xcpu") > 0, "cross-processor IPCs: " + r.counterTotal("ipc.xcpu"));
        }
        assertEquals(r.counterTotal("ipc.xcpu"), rec.count("l4smp.XpIpc"), "cross-processor IPCs");
        assertEquals(r.counterTotal("ipc.local"), rec.count("l4smp.Ipc"), "local IPCs");
        for (RecordedEvent e : rec.events().getOrDefault("l4smp.XpIpc", List.of())) {
            assertTrue(e.getInt("senderCpu") != e.getInt("cpu"), "crossed processors: " + e);
        }
    }

    @Test
    void migrations(@TempDir Path dir) throws Exception {
        Recorded m = record(dir.resolve("m.jfr"), RunSpec.builder("pull").cpus(2).seed(1L).ops(20).build());
        assertTrue(m.count("l4smp.Migration") >= 20, "each move of the scheduler lands it on another CPU: "
                + m.count("l4smp.Migration"));
    }
}
