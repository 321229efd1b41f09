package l4smp.bench.cli;

import l4smp.bench.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static l4smp.bench.cli.CommandLineTest.l4smp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code --stall CYCLES}: a run in which no operation completes for that many simulated cycles
 * stops with outcome "stalled", names what each CPU's threads wait for, and exits with 1.
 */
class StallWatchdogTest {

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aDeadlockWhileTimeRunsOnIsReportedAsStalled(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("stall.json");
        CommandLineTest.Result r = l4smp("run", "test-stalling", "--seed", "1", "--ops", "100", "--answers", "3",
                "--stall", "2000000", "--no-progress", "--json", json.toString());
        assertEquals(L4smpCommand.EXIT_FAILED, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("outcome: stalled"), r.out());
        assertTrue(r.out().contains("operations: 3 of 100"), r.out());
        String cpu0 = line(r.out(), "waiting on cpu0: ");
        String cpu1 = line(r.out(), "waiting on cpu1: ");
        // the client's fourth call cannot get through: its send to the server waits
        assertTrue(cpu0.contains("client(") && cpu0.contains("send to server("), cpu0);
        // the server waits for a message from the spinner, which only computes
        assertTrue(cpu1.contains("server(") && cpu1.contains("WAITING (receive from spinner("), cpu1);
        assertTrue(cpu1.contains("spinner(") && cpu1.contains("[daemon]"), cpu1);
        assertTrue(r.err().contains("stalled"), r.err());
        Object root = MiniJson.parse(Files.readString(json));
        assertEquals("stalled", MiniJson.at(root, "outcome"));
        assertEquals(3L, MiniJson.at(root, "ops"));
        assertTrue(String.valueOf(MiniJson.at(root, "results.waits.cpu1")).contains("server("));
        assertTrue(String.valueOf(MiniJson.at(root, "failure")).contains("--stall limit 2,000,000"));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aStallInParallelModeIsCaughtToo() {
        CommandLineTest.Result r = l4smp("run", "test-stalling", "--ops", "100", "--answers", "5", "--pin", "off",
                "--stall", "2000000", "--no-progress");
        assertEquals(L4smpCommand.EXIT_FAILED, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("outcome: stalled"), r.out());
        assertTrue(r.out().contains("operations: 5 of 100"), r.out());
        assertTrue(line(r.out(), "waiting on cpu1: ").contains("receive from spinner("), r.out());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRunThatProgressesIsNotStalled() {
        // every call completes: the watchdog must not fire however small the limit is above a call
        CommandLineTest.Result r = l4smp("run", "test-stalling", "--seed", "2", "--ops", "50", "--answers", "50",
                "--stall", "1000000", "--no-progress");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("outcome: ok"), r.out());
        assertFalse(r.out().contains("waiting on cpu"), r.out());
    }

    @Test
    void badStallValuesAreRefused() {
        for (String bad : new String[]{"0", "-5", "soon"}) {
            CommandLineTest.Result r = l4smp("run", "pingpong", "--stall", bad);
            assertEquals(L4smpCommand.EXIT_USAGE, r.code(), r.err());
            assertTrue(r.err().contains("--stall"), r.err());
        }
    }

    static String line(String text, String prefix) {
        return text.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line '" + prefix + "...' in:\n" + text));
    }
}
