package l4smp.bench.cli;

import l4smp.bench.runner.ScenarioRunner.Progress;
import l4smp.bench.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The progress display: its figures, the bar on a terminal, plain lines elsewhere, none when quiet. */
class ProgressDisplayTest {

    @Test
    void shareRateAndEtaFollowFromTheFigures() {
        Progress p = new Progress(25_000, 100_000, 10.0, 0, 123, false);
        assertEquals(0.25, p.fraction());
        assertEquals(2500.0, p.rate());
        assertEquals(30.0, p.etaSeconds(), "three quarters left at 2,500 ops/s");
        assertEquals("  10.0 s: 25,000 ops 25.0% (2,500 ops/s), ETA 0:30, simulated 123 cycles", p.line());
        Progress timed = new Progress(7, Long.MAX_VALUE, 30.0, 120.0, 0, false);
        assertEquals(0.25, timed.fraction(), "a time budget alone: the share of it spent");
        assertEquals(90.0, timed.etaSeconds());
        Progress unknown = new Progress(7, Long.MAX_VALUE, 30.0, 0, 0, false);
        assertEquals(-1.0, unknown.etaSeconds());
        assertEquals("1:01:01", Progress.duration(3661));
    }

    @Test
    void onATerminalABarIsRedrawnInPlaceAndErasedAtTheEnd() {
        StringWriter out = new StringWriter();
        ProgressDisplay d = new ProgressDisplay(new PrintWriter(out), true);
        assertEquals(0, d.delayMs(), "a bar from the start");
        d.accept(new Progress(50_000, 100_000, 2.0, 0, 0, false));
        String bar = "[###############---------------]  50.0%  50,000/100,000 ops  25,000 ops/s  ETA 0:02";
        assertEquals("\r" + bar, out.toString());
        d.accept(new Progress(100_000, 100_000, 4.0, 0, 0, true));
        assertEquals("\r" + bar + "\r" + " ".repeat(bar.length()) + "\r", out.toString());
        assertFalse(out.toString().contains("\n"), "nothing scrolls");
    }

    @Test
    void elsewherePlainLinesAndNothingAtTheEnd() {
        StringWriter out = new StringWriter();
        ProgressDisplay d = new ProgressDisplay(new PrintWriter(out), false);
        assertEquals(2000, d.delayMs());
        d.accept(new Progress(50_000, 100_000, 2.0, 0, 9, false));
        d.accept(new Progress(100_000, 100_000, 4.0, 0, 9, true));
        assertEquals("l4smp:    2.0 s: 50,000 ops 50.0% (25,000 ops/s), ETA 0:02, simulated 9 cycles\n",
                out.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void quietAsksForNoProgress(@TempDir Path dir) throws Exception {
        for (String flag : new String[]{"--quiet", "-q", "--no-progress"}) {
            Path json = dir.resolve("q" + flag + ".json");
            StringWriter err = new StringWriter();
            int code = L4smpCommand.execute(new String[]{"run", "pingpong", "--seed", "1", "--ops", "50", flag, "--json",
                    json.toString()}, new PrintWriter(new StringWriter()), new PrintWriter(err));
            assertEquals(0, code, err.toString());
            assertEquals(Boolean.FALSE, MiniJson.at(MiniJson.parse(Files.readString(json)), "run.progress"), flag);
        }
        Path json = dir.resolve("default.json");
        L4smpCommand.execute(new String[]{"run", "pingpong", "--seed", "1", "--ops", "50", "--json", json.toString()},
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        assertTrue((Boolean) MiniJson.at(MiniJson.parse(Files.readString(json)), "run.progress"));
    }
}
