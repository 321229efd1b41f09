package l4smp.bench.cli;

import l4smp.bench.reproduce.ReproduceRow;
import l4smp.emulator.cost.CostModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReproduceCommandTest {

    private static final Pattern SUMMARY =
            Pattern.compile("(\\d+) calibration, (\\d+) path, (\\d+) emergent: (.*) \\(preset (\\w+)\\)");

    @Test
    void printsEveryRowWithItsKindAndWritesTheJsonArray(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("rows.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = L4smpCommand.execute(new String[]{"reproduce", "--json", json.toString()},
                new PrintWriter(out, true), new PrintWriter(err, true));
        // Every row holds but D9 (README, "What reproduce proves"): the exit code says so.
        assertEquals(L4smpCommand.EXIT_FAILED, code, () -> out + "\n" + err);
        String text = out.toString();
        for (String id : new String[]{"C1 ", "C2 ", "C3 ", "D1 ", "D2 ", "D3 ", "D4 ", "D5 ", "D6 ", "D7 ", "D8 "}) {
            assertTrue(text.contains("\n" + id), "row " + id + " missing:\n" + text);
        }
        Matcher m = SUMMARY.matcher(text);
        assertTrue(m.find(), text);
        assertTrue(m.group(4).matches("\\d+ hold, 1 do not \\(D9\\)(; \\d+ not compared)?"), text);
        assertEquals("PIII_450", m.group(5));
        int calibration = Integer.parseInt(m.group(1));
        int path = Integer.parseInt(m.group(2));
        int emergent = Integer.parseInt(m.group(3));
        // C1 (3 rows), C2 (5) and C3 (2) are the preset's inputs read back.
        assertEquals(10, calibration, text);
        String rows = Files.readString(json);
        assertTrue(rows.trim().startsWith("[") && rows.trim().endsWith("]"), rows);
        for (String key : new String[]{"\"id\"", "\"kind\"", "\"thesis\"", "\"emulator\"", "\"ratio\"", "\"holds\""}) {
            assertTrue(rows.contains(key), "key " + key + " missing");
        }
        assertEquals(calibration, count(rows, "\"kind\"\\s*:\\s*\"calibration\""), rows);
        assertEquals(path, count(rows, "\"kind\"\\s*:\\s*\"path\""), rows);
        assertEquals(emergent, count(rows, "\"kind\"\\s*:\\s*\"emergent\""), rows);
        assertEquals(calibration + path + emergent, count(rows, "\"holds\"\\s*:"));
        assertEquals(1, count(rows, "\"verdict\"\\s*:\\s*\"fails\""), rows);
        // C3's polling figure is an input read back (its delivery input was derived from it).
        assertTrue(Pattern.compile("\nC3 +calibration +IPI: ICR write to detection, polling").matcher(text).find(), text);
    }

    @Test
    void anotherPresetPrintsItsFiguresAndClaimsNoThesisRow(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("p4.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = L4smpCommand.execute(new String[]{"reproduce", "--preset", "P4", "--json", json.toString()},
                new PrintWriter(out, true), new PrintWriter(err, true));
        String text = out.toString();
        assertEquals(0, code, () -> text + "\n" + err);
        assertTrue(text.contains("its figures are not compared"), text);
        Matcher m = SUMMARY.matcher(text);
        assertTrue(m.find(), text);
        assertEquals("P4", m.group(5));
        assertFalse(m.group(4).contains("all hold"), text);
        // Every row not marked preset-independent reads n/a in the thesis and holds columns.
        for (String line : text.split("\n")) {
            if (line.matches("^C[1-3] .*")) {
                assertTrue(line.contains(" n/a "), line);
                assertFalse(line.contains(" yes "), line);
            }
        }
        String rows = Files.readString(json);
        for (String block : rows.split("\\}")) {
            if (block.contains("\"preset_independent\": false")) {
                assertTrue(block.contains("\"verdict\": \"not_compared\""), block);
                assertTrue(block.contains("\"thesis\": null"), block);
            }
        }
    }

    @Test
    void aRowThatDoesNotHoldMakesTheExitCodeNonZero() {
        List<ReproduceRow> rows = List.of(
                new ReproduceRow("C1", ReproduceRow.Kind.CALIBRATION, "L1 hit", "3.2.1", 0.98, 0.98, 1, true, "cycles"),
                new ReproduceRow("D7", ReproduceRow.Kind.EMERGENT, "IPIs saved", "9.3", Double.NaN, 0, 0, false, "IPIs"));
        StringWriter out = new StringWriter();
        int code = ReproduceCommand.report(CostModel.PIII_450, rows, new PrintWriter(out, true));
        assertEquals(L4smpCommand.EXIT_FAILED, code, out.toString());
        assertTrue(out.toString().contains("1 calibration, 0 path, 1 emergent: 1 hold, 1 do not (D7)"), out.toString());

        StringWriter out2 = new StringWriter();
        int holds = ReproduceCommand.report(CostModel.PIII_450, rows.subList(0, 1), new PrintWriter(out2, true));
        assertEquals(0, holds, out2.toString());

        // A preset-independent row is judged under every preset: its failure counts under P4 too.
        List<ReproduceRow> p4 = List.of(
                new ReproduceRow("D8", ReproduceRow.Kind.EMERGENT, "calls completed", "8.3.3", Double.NaN, 10, 0, false,
                        "calls").anyPreset().notCompared(),
                new ReproduceRow("C1", ReproduceRow.Kind.CALIBRATION, "L1 hit", "3.2.1", 0.98, 2, 2, false, "cycles")
                        .notCompared());
        StringWriter out3 = new StringWriter();
        assertEquals(L4smpCommand.EXIT_FAILED, ReproduceCommand.report(CostModel.P4, p4, new PrintWriter(out3, true)),
                out3.toString());
    }

    @Test
    void aBadPresetIsAUsageError() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = L4smpCommand.execute(new String[]{"reproduce", "--preset", "Z80"},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(2, code);
        assertTrue(err.toString().contains("--preset"), err.toString());
    }

    /** How often {@code regex} occurs in {@code text}. */
    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
