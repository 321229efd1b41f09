package l4smp.bench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReproduceCommandTest {

    @Test
    void printsEveryRowAndWritesTheJsonArray(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("rows.json");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = L4smpCommand.execute(new String[]{"reproduce", "--json", json.toString()},
                new PrintWriter(out, true), new PrintWriter(err, true));
        assertEquals(0, code, () -> out + "\n" + err);
        String text = out.toString();
        for (String id : new String[]{"C1 ", "C2 ", "C3 ", "D1 ", "D3 ", "D4 ", "D5 ", "D6 ", "D7 ", "D8 "}) {
            assertTrue(text.contains("\n" + id), "row " + id + " missing:\n" + text);
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+) of (\\d+) rows hold").matcher(text);
        assertTrue(m.find(), text);
        assertEquals(m.group(2), m.group(1), "every row holds:\n" + text);
        int rowCount = Integer.parseInt(m.group(2));
        String rows = Files.readString(json);
        assertTrue(rows.trim().startsWith("[") && rows.trim().endsWith("]"), rows);
        for (String key : new String[]{"\"id\"", "\"thesis\"", "\"emulator\"", "\"ratio\"", "\"holds\""}) {
            assertTrue(rows.contains(key), "key " + key + " missing");
        }
        assertEquals(rowCount, rows.split("\"holds\"").length - 1);
        assertTrue(!rows.contains("\"holds\": false"), rows);
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
}
