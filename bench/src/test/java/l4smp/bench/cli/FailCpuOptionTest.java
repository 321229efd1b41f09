package l4smp.bench.cli;

import org.junit.jupiter.api.Test;

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
        assertBadLine(l4smp("run", "ipi-pingpong", "--fail-cpu", "1"), "--fail-cpu", "without the kernel");
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
}
