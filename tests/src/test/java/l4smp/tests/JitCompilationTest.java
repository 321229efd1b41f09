package l4smp.tests;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JIT compiles the emulator's hot loops: a local {@code pingpong} long enough for C2 to
 * compile the dispatcher's loop (a few seconds) runs under {@code -XX:+PrintCompilation}, and no
 * method of l4smp may be one that C2 gave up on ("COMPILE SKIPPED"). When the direct switch's
 * whole loop body sat in {@code DispatchPath.run}, C2 bailed out of every attempt at it ("no
 * node with a side effect"): the loop stayed in C1's profiled code and a compiler thread was busy
 * for the whole run (docs/host-speed.md). This asserts on the JIT's log, not on host time.
 */
class JitCompilationTest {

    @Test
    void c2CompilesTheLocalRoundTripsMethods() throws Exception {
        Path jar = ReadmeScenarioScriptTest.ROOT.resolve("bench/target/l4smp.jar");
        assertTrue(Files.isRegularFile(jar), "bench/target/l4smp.jar is built before this module's tests (mvn verify)");
        ReadmeScenarioScriptTest.Result r = ReadmeScenarioScriptTest.bash(ReadmeScenarioScriptTest.ROOT,
                "scripts/l4smp run pingpong --cpus 1 --accounting off --ops 3000000 --latency off --no-progress",
                Map.of("L4SMP_JAVA_OPTS", "-XX:+PrintCompilation"));
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("operations: 3,000,000 of 3,000,000"), r.out());
        assertTrue(r.out().contains("l4smp.kernel.DispatchPath::"), "the log names the dispatcher's compilations");
        List<String> skipped = r.out().lines()
                .filter(l -> l.contains("COMPILE SKIPPED") && l.contains(" l4smp."))
                .toList();
        assertTrue(skipped.isEmpty(), skipped.size() + " compilations of l4smp methods that C2 gave up on, the first: "
                + skipped.subList(0, Math.min(3, skipped.size())));
    }
}
