package l4smp.bench.cli;

import l4smp.bench.testing.MiniJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGINT and SIGTERM during a run, sent to a real {@code l4smp} process: the run stops cleanly,
 * the report of what ran is printed (outcome "interrupted"), every requested file is written,
 * and the exit code is 130 or 143.
 */
@EnabledOnOs(OS.LINUX)
class InterruptSignalTest {

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void sigintStopsTheRunAndWritesEveryFile(@TempDir Path dir) throws Exception {
        interruptAndCheck(dir, "INT", 130);
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void sigtermStopsTheRunAndWritesEveryFile(@TempDir Path dir) throws Exception {
        interruptAndCheck(dir, "TERM", 143);
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void aSecondSigintExitsAtOnceWhenTheFirstCannotStopTheRun() throws Exception {
        // deterministic mode: the stepper runs a thread that never calls L4 again, so the machine
        // cannot stop and the first SIGINT never yields a report; the second must end the process
        Process p = start("run", "test-spinning", "--seed", "1", "--ops", "10");
        try {
            StringBuilder out = new StringBuilder();
            StringBuilder err = new StringBuilder();
            CountDownLatch running = new CountDownLatch(1);
            Thread outReader = drain(p.getInputStream(), out, null);
            drain(p.getErrorStream(), err, running);
            assertTrue(running.await(90, TimeUnit.SECONDS), () -> "no progress line; stderr: " + err);
            signal(p, "INT");
            assertTrue(!p.waitFor(2, TimeUnit.SECONDS), () -> "the first SIGINT cannot stop this run; stdout: " + out);
            signal(p, "INT");
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), () -> "the second SIGINT must end the process; stderr: " + err);
            outReader.join(10_000);
            assertEquals(130, p.exitValue(), () -> "stderr: " + err);
            assertTrue(!out.toString().contains("outcome:"), out::toString);
            assertTrue(err.toString().contains("SIGINT again: exiting at once"), err::toString);
        } finally {
            p.destroyForcibly();
        }
    }

    private static void signal(Process p, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
    }

    private static void interruptAndCheck(Path dir, String signal, int expectedCode) throws Exception {
        Path json = dir.resolve("out/run.json");
        Path hgrm = dir.resolve("hgrm");
        Path trace = dir.resolve("trace.txt");
        // a run far longer than the test: only the signal ends it
        Process p = start("run", "pingpong", "--ops", "1000000000000", "--pin", "off", "--json", json.toString(),
                "--hgrm", hgrm.toString(), "--trace", trace.toString(), "--trace-limit", "1000");
        try {
            StringBuilder out = new StringBuilder();
            StringBuilder err = new StringBuilder();
            CountDownLatch running = new CountDownLatch(1);
            Thread outReader = drain(p.getInputStream(), out, null);
            Thread errReader = drain(p.getErrorStream(), err, running); // progress lines: the machine runs
            assertTrue(running.await(90, TimeUnit.SECONDS), () -> "no progress line; stderr: " + err);
            signal(p, signal);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), () -> "still running after SIG" + signal + "; stderr: " + err);
            outReader.join(10_000);
            errReader.join(10_000);
            String o = out.toString();
            assertEquals(expectedCode, p.exitValue(), () -> "stdout: " + o + "\nstderr: " + err);
            assertTrue(o.contains("outcome: interrupted (interrupted (SIG" + signal + "))"), o);
            assertTrue(o.contains("operations: "), o);
            assertTrue(err.toString().contains("interrupted by SIG" + signal), err.toString());
            Object root = MiniJson.parse(Files.readString(json));
            assertEquals("interrupted", MiniJson.at(root, "outcome"));
            assertTrue((Long) MiniJson.at(root, "ops") > 0, "operations before the signal are reported");
            assertTrue(Files.exists(hgrm.resolve("pingpong.cycles.hgrm")), "the histograms are written");
            assertTrue(Files.size(trace) > 0, "the trace is written");
        } finally {
            p.destroyForcibly();
        }
    }

    /** Starts {@code l4smp ARGS} in a JVM of its own, on this test's class path. */
    static Process start(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "--add-opens",
                "java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED", "-Xmx512m"));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path").replace(File.pathSeparator + File.pathSeparator,
                File.pathSeparator), L4smpCommand.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).start();
    }

    private static Thread drain(java.io.InputStream in, StringBuilder sink, CountDownLatch onProgress) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (sink) {
                        sink.append(line).append('\n');
                    }
                    if (onProgress != null && line.startsWith("l4smp: ") && line.contains(" ops")) {
                        onProgress.countDown();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "drain");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
