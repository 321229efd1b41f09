package l4smp.bench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static l4smp.bench.cli.CommandLineTest.l4smp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code hunt} command line: bad input, a found plant end to end, the merge; {@code --plant} on {@code run} only. */
class HuntCommandTest {

    static Stream<Arguments> badCommandLines() {
        return Stream.of(
                Arguments.of(List.of("hunt", "pingpong"), "--seeds"),
                Arguments.of(List.of("hunt", "--seeds", "10"), "scenario"),
                Arguments.of(List.of("hunt", "pingpong", "--seeds", "0"), "--seeds"),
                Arguments.of(List.of("hunt", "pingpong", "--seeds", "10", "--shard", "2/2"), "--shard"),
                Arguments.of(List.of("hunt", "pingpong", "--seeds", "10", "--strategy", "lowest-clock"), "--strategy"),
                Arguments.of(List.of("hunt", "pingpong", "--seeds", "10", "--strategy", "random", "--pct-depth", "2"),
                        "--pct-depth"),
                Arguments.of(List.of("hunt", "pingpong", "--seeds", "10", "--jobs", "0"), "--jobs"),
                Arguments.of(List.of("hunt", "pingpong", "--seeds", "10", "--seed", "3"), "--seed"),
                Arguments.of(List.of("hunt", "pingpong", "--seeds", "10", "--seconds", "3"), "--seconds"),
                Arguments.of(List.of("hunt", "pingpong", "--seeds", "10", "--cpus", "0"), "--cpus"),
                Arguments.of(List.of("hunt", "pingpong", "--seeds", "10", "--plant", "no-such-race"), "--plant"),
                Arguments.of(List.of("hunt", "ipi-pingpong", "--seeds", "10", "--plant", "lost-wakeup"), "--plant"),
                Arguments.of(List.of("hunt", "no-such-scenario", "--seeds", "10"), "no-such-scenario"),
                Arguments.of(List.of("hunt", "--merge", "/nonexistent/a.json"), "--merge"),
                Arguments.of(List.of("run", "pingpong", "--plant", "no-such-race"), "--plant"),
                Arguments.of(List.of("run", "pingpong", "--seed", "1", "--pct-depth", "2"), "--pct-depth"),
                Arguments.of(List.of("run", "pingpong", "--seed", "1", "--strategy", "pct", "--pct-depth", "0"), "--pct-depth"),
                Arguments.of(List.of("run", "pingpong", "--max-steps", "10"), "--max-steps"),
                Arguments.of(List.of("bench", "--plant", "lost-wakeup"), "--plant"),
                Arguments.of(List.of("reproduce", "--plant", "lost-wakeup"), "--plant"));
    }

    @ParameterizedTest
    @MethodSource("badCommandLines")
    void aBadCommandLineIsOneLineNamingTheProblemAndExit2(List<String> args, String named) {
        CommandLineTest.Result r = l4smp(args.toArray(String[]::new));
        assertEquals(2, r.code(), () -> args + ": " + r.err());
        assertTrue(r.err().contains(named), () -> args + ": " + r.err());
        assertEquals(1, r.err().strip().lines().count(), () -> args + ": " + r.err());
    }

    @Test
    void aPlantedRunIsNamedInItsReport() {
        CommandLineTest.Result r = l4smp("run", "pingpong", "--placement", "cross", "--cpus", "2", "--ops", "5",
                "--seed", "1", "--strategy", "pct", "--plant", "lost-wakeup", "--no-progress");
        assertTrue(r.out().contains("PLANTED RACE: lost-wakeup"), r.out());
        CommandLineTest.Result clean = l4smp("run", "pingpong", "--ops", "5", "--seed", "1", "--no-progress");
        assertFalse(clean.out().contains("PLANTED"), clean.out());
    }

    @Test
    void aHuntFindsAPlantWritesItsArtifactsAndShrinks(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("r.json");
        CommandLineTest.Result r = l4smp("hunt", "--plant", "lost-wakeup", "--seeds", "200", "--jobs", "2",
                "--out", dir.resolve("out").toString(), "--json", json.toString(), "--shrink-runs", "4");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("FOUND at seed"), r.out());
        var result = l4smp.bench.hunt.HuntResult.fromJson(Files.readString(json));
        assertTrue(result.found());
        assertEquals("lost-wakeup", result.plant());
        assertEquals("deadlock", result.failureKind());
        assertTrue(result.replay().contains("--seed " + result.seed()) && result.replay().contains("--plant lost-wakeup"),
                result.replay());
        assertTrue(result.shrunkReplay().contains("--ops 1 "), result.shrunkReplay()); // one round trip suffices
        Path trace = dir.resolve("out").resolve("pingpong-seed" + result.seed() + ".trace.json");
        assertTrue(Files.readString(trace).contains("FAILURE: deadlock"), "the trace marks the failure point");
        // The replay line reproduces the failure (same seed, same run).
        String[] replay = result.replay().replace("scripts/l4smp ", "").split(" ");
        CommandLineTest.Result again = l4smp(java.util.stream.Stream.concat(java.util.Arrays.stream(replay),
                java.util.stream.Stream.of("--no-progress")).toArray(String[]::new));
        assertEquals(1, again.code(), again.out());
        assertTrue(again.err().contains("deadlock"), again.err());
    }

    @Test
    void shardsMergeIntoTheWholeHunt(@TempDir Path dir) throws Exception {
        for (int i = 0; i < 2; i++) {
            CommandLineTest.Result r = l4smp("hunt", "pingpong", "--ops", "3", "--seeds", "6", "--shard", i + "/2",
                    "--strategy", "random", "--jobs", "1", "--json", dir.resolve("s" + i + ".json").toString());
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().contains("clean: 3 runs"), r.out());
        }
        Path merged = dir.resolve("m.json");
        CommandLineTest.Result m = l4smp("hunt", "--merge", dir.resolve("s0.json").toString(),
                dir.resolve("s1.json").toString(), "--json", merged.toString());
        assertEquals(0, m.code(), m.out() + m.err());
        var result = l4smp.bench.hunt.HuntResult.fromJson(Files.readString(merged));
        assertEquals(6, result.runs());
        assertEquals(List.of("0/2", "1/2"), result.shards());
        assertFalse(result.found());
    }
}
