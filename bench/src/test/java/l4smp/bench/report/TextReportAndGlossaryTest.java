package l4smp.bench.report;

import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.bench.scenario.Scenario;
import l4smp.emulator.cache.MemoryEvent;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The text report's layout and the counter glossary that explains it. */
class TextReportAndGlossaryTest {

    private final ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);

    @Test
    void everyCounterAnyScenarioEmitsHasAGlossaryEntry() {
        Set<String> emitted = new LinkedHashSet<>();
        for (Scenario s : Scenarios.load().all()) {
            if (s.name().startsWith("test-")) {
                continue;
            }
            RunReport r = runner.run(RunSpec.builder(s.name()).seed(1L).ops(40).build());
            emitted.addAll(r.counterNames());
        }
        // the accounting layer's counters, each named after its event
        for (MemoryEvent e : MemoryEvent.values()) {
            assertTrue(emitted.contains("mem." + e.name().toLowerCase(Locale.ROOT)), e.name());
        }
        List<String> missing = new ArrayList<>();
        for (String name : emitted) {
            CounterGlossary.Entry e = CounterGlossary.of(name);
            if (e == null || e.unit().isBlank() || e.meaning().isBlank()) {
                missing.add(name);
            }
        }
        assertEquals(List.of(), missing, "counters without a glossary entry");
        for (CounterGlossary.Entry e : CounterGlossary.all()) {
            assertTrue(CounterGlossary.GROUPS.containsKey(e.group()), e.name() + ": a subsystem of the glossary");
        }
    }

    @Test
    void theReadmeCarriesTheGlossary() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (CounterGlossary.Entry e : CounterGlossary.all()) {
            assertTrue(readme.contains("| `" + e.name() + "` | " + e.unit() + " | " + e.meaning() + " |"),
                    () -> "README's counter table lacks " + e.name() + " as 'l4smp counters' explains it");
        }
    }

    @Test
    void manyCpusAndClientsGiveShortLinesAndASummary() {
        RunReport r = runner.run(RunSpec.builder("soak").cpus(16).accounting(false).seed(1L).ops(300).build());
        assertTrue(r.ok(), () -> TextReport.format(r));
        List<String> lines = TextReport.lines(r);
        String text = String.join("\n", lines);
        for (String l : lines) {
            assertTrue(l.length() <= 125, () -> "a line of " + l.length() + " characters: " + l);
        }
        assertTrue(r.recorders().size() > TextReport.MAX_RECORDERS_LISTED, "a run with many recorders");
        assertTrue(text.contains(r.recorders().size() + " recorders (each in the JSON report"), text);
        long perRecorderLines = lines.stream().filter(l -> l.startsWith("    client")).count();
        assertEquals(TextReport.SLOWEST_LISTED, perRecorderLines, text);
        // 16 CPUs: a line each, counters only in total
        assertEquals(16, lines.stream().filter(l -> l.startsWith("cpu")).count(), text);
        assertTrue(text.contains("(counters per CPU: in the JSON report, --json)"), text);
        assertTrue(lines.size() < 60, () -> lines.size() + " lines:\n" + text);
    }

    @Test
    void countersAreGroupedOneSubsystemPerLine() {
        RunReport r = runner.run(RunSpec.builder("pingpong").cpus(2).scenarioOptions(Map.of("placement", "cross"))
                .seed(1L).ops(100).build());
        List<String> lines = TextReport.lines(r);
        int total = lines.indexOf("total");
        assertTrue(total > 0, String.join("\n", lines));
        String previousGroup = null;
        int previousRank = -1;
        for (String l : lines.subList(total + 1, lines.size())) {
            if (!l.startsWith(" ")) {
                break;
            }
            Set<String> groups = new LinkedHashSet<>();
            for (String item : l.trim().split(" ")) {
                String name = item.substring(0, item.indexOf('='));
                groups.add(name.substring(0, name.indexOf('.')));
                long value = Long.parseLong(item.substring(item.indexOf('=') + 1));
                assertEquals(r.counterTotal(name), value, name);
            }
            assertEquals(1, groups.size(), "one subsystem per line: " + l);
            String g = groups.iterator().next();
            int rank = CounterGlossary.groupRank(g + ".x");
            assertTrue(g.equals(previousGroup) ? l.startsWith("        ") : rank > previousRank,
                    "subsystems in glossary order, a wrapped line indented: " + l);
            previousGroup = g;
            previousRank = rank;
        }
        assertTrue(lines.stream().anyMatch(l -> l.trim().startsWith("xcpu.")), "a cross-processor pingpong has xcpu.*");
    }

    @Test
    void noLatencyRecordedPrintsNoTableOfZeros() {
        RunReport r = runner.run(RunSpec.builder("pingpong").scenarioOptions(Map.of("latency", "off"))
                .seed(1L).ops(50).build());
        List<String> lines = TextReport.lines(r);
        assertTrue(lines.contains("latency: none recorded (the scenario's --latency is off)"), String.join("\n", lines));
        assertFalse(lines.stream().anyMatch(l -> l.contains("p99.9")), String.join("\n", lines));
        assertNotNull(CounterGlossary.of("mem.centicycles"));
    }
}
