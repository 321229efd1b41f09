package l4smp.bench.cli;

import l4smp.bench.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static l4smp.bench.cli.CommandLineTest.l4smp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code l4smp run ... --fail-cpu N}: fault injection for the SMP boot (thesis 8.2). */
class FailCpuOptionTest {

    private static void assertBadLine(CommandLineTest.Result r, String... fragments) {
        assertEquals(2, r.code(), r.err() + r.out());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), () -> "'" + f + "' not in: " + r.err());
        }
    }

    @Test
    void badFailedCpusAreRejectedWithTheOptionNamed() {
        assertBadLine(l4smp("run", "boot", "--fail-cpu", "0"), "--fail-cpu", "bootstrap processor");
        assertBadLine(l4smp("run", "boot", "--cpus", "4", "--fail-cpu", "9"), "--fail-cpu", "CPU 9 does not exist");
        assertBadLine(l4smp("run", "boot", "--fail-cpu", "two"), "--fail-cpu", "two");
        assertBadLine(l4smp("run", "boot", "--fail-cpu", "1,,2"), "--fail-cpu");
        assertBadLine(l4smp("run", "boot", "--fail-cpu", "-1"), "--fail-cpu");
        assertBadLine(l4smp("run", "ipi-pingpong", "--cpus", "4", "--fail-cpu", "1"), "--fail-cpu", "without the kernel");
    }

    @Test
    void aCommaListAndRepeatedOptionsMaskTheSameCpus() {
        CommandLineTest.Result list = l4smp("run", "boot", "--cpus", "5", "--seed", "1", "--ops", "20", "--no-progress",
                "--fail-cpu", "1,3");
        CommandLineTest.Result repeated = l4smp("run", "boot", "--cpus", "5", "--seed", "1", "--ops", "20", "--no-progress",
                "--fail-cpu", "3", "--fail-cpu", "1");
        for (CommandLineTest.Result r : new CommandLineTest.Result[] {list, repeated}) {
            assertEquals(0, r.code(), r.err() + r.out());
            assertTrue(r.out().contains("aps_masked=[1, 3]"), r.out());
            assertTrue(r.out().contains("kip_highest_processor=3"), r.out());
            assertTrue(r.out().contains("numbering={1=cpu0, 2=cpu2, 3=cpu4}"), r.out());
            assertTrue(r.out().contains("warning: boot: CPU 1 did not answer"), r.out());
        }
        assertEquals(list.out().lines().filter(l -> l.startsWith("trace: hash")).toList(),
                repeated.out().lines().filter(l -> l.startsWith("trace: hash")).toList(), "the same run");
    }

    /**
     * Every kernel scenario places its threads over the processors that came up (logical
     * indices 0..k-1 after the boot's compaction, thesis 8.2) and runs to its normal outcome.
     */
    @ParameterizedTest
    @ValueSource(strings = {"pingpong", "client-server", "xp-detect", "balance", "unmap-storm", "migration-storm",
            "soak", "interrupt-storm", "pager", "long-ipc", "pull", "priorities", "timeouts"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyKernelScenarioRunsOnTheProcessorsThatCameUp(String scenario) {
        CommandLineTest.Result r = l4smp("run", scenario, "--cpus", "4", "--fail-cpu", "1", "--seed", "1", "--ops", "120",
                "--no-progress", "--stall", "200000000");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("outcome: ok"), r.out());
        assertTrue(r.out().contains("boot.aps_masked=1"), r.out());
        assertTrue(r.out().contains("warning: boot: CPU 1 did not answer"), r.out());
        assertTrue(!r.out().contains("created for processor index"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"soak", "client-server", "migration-storm"})
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void scenariosWithFailedCpusRunInParallelModeToo(String scenario) {
        CommandLineTest.Result r = l4smp("run", scenario, "--cpus", "4", "--fail-cpu", "2", "--ops", "200", "--pin", "off",
                "--no-progress", "--stall", "500000000");
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("outcome: ok"), r.out());
    }

    @Test
    void tooFewProcessorsLeftIsRefusedBeforeTheRun() {
        assertBadLine(l4smp("run", "migration-storm", "--cpus", "2", "--fail-cpu", "1"), "--fail-cpu",
                "needs at least 2 processors", "only 1 of its 2 CPUs");
        assertBadLine(l4smp("run", "soak", "--cpus", "3", "--fail-cpu", "1,2"), "--fail-cpu", "only 1 of its 3");
        assertBadLine(l4smp("run", "pingpong", "--cpus", "2", "--fail-cpu", "1", "--placement", "cross"),
                "--placement cross");
        assertBadLine(l4smp("run", "interrupt-storm", "--cpus", "3", "--fail-cpu", "1", "--handler-cpu", "2"),
                "--handler-cpu", "2 processors");
    }

    @Test
    void aBootWithNoApUpIsDegraded(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("boot.json");
        CommandLineTest.Result r = l4smp("run", "boot", "--fail-cpu", "1,2,3", "--seed", "1", "--no-progress",
                "--json", json.toString());
        assertEquals(L4smpCommand.EXIT_DEGRADED, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("outcome: degraded"), r.out());
        assertTrue(r.out().contains("degraded: no application processor came up (masked: [1, 2, 3])"), r.out());
        assertTrue(r.err().contains("degraded"), r.err());
        Object root = MiniJson.parse(Files.readString(json));
        assertEquals("degraded", MiniJson.at(root, "outcome"));
        assertEquals(0L, MiniJson.at(root, "ops"));
        // with one AP up the same run is an ordinary one
        CommandLineTest.Result one = l4smp("run", "boot", "--fail-cpu", "1,2", "--seed", "1", "--ops", "20", "--no-progress");
        assertEquals(0, one.code(), one.err() + one.out());
        assertTrue(one.out().contains("outcome: ok"), one.out());
        assertTrue(List.of(one.out().split("\n")).stream().noneMatch(l -> l.startsWith("degraded:")), one.out());
    }
}
