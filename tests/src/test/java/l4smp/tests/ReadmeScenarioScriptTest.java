package l4smp.tests;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README's "Writing a scenario", done as README says: its Java source saved, its shell commands
 * run (javac against l4smp.jar, the services file, {@code scripts/l4smp --classpath ... run
 * echo}), and the scenario found again through {@code L4SMP_CLASSPATH}. Runs after the bench
 * module is packaged (the reactor's order), on the JDK that runs the tests.
 */
class ReadmeScenarioScriptTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    record Result(int code, String out) {
    }

    static Result bash(Path dir, String script, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail", "-c", script).directory(dir.toFile())
                .redirectErrorStream(true);
        String javaBin = Path.of(System.getProperty("java.home"), "bin").toString();
        pb.environment().put("PATH", javaBin + File.pathSeparator + System.getenv("PATH"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("L4SMP_CLASSPATH");
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + script);
        }
        return new Result(p.exitValue(), new String(out));
    }

    /** The fenced block of README that follows {@code marker} (the first fence after it). */
    static String block(String readme, String marker) {
        int at = readme.indexOf(marker);
        assertTrue(at >= 0, "README has '" + marker + "'");
        int open = readme.indexOf("```", at);
        int start = readme.indexOf('\n', open) + 1;
        int end = readme.indexOf("```", start);
        return readme.substring(start, end);
    }

    @Test
    void theReadmeScenarioCompilesAndRunsThroughTheScript(@TempDir Path dir) throws Exception {
        Path jar = ROOT.resolve("bench/target/l4smp.jar");
        assertTrue(Files.isRegularFile(jar), "bench/target/l4smp.jar is built before this module's tests (mvn verify)");
        String readme = Files.readString(ROOT.resolve("README.md"));
        String source = block(readme, "Save this as `example/EchoScenario.java`");
        assertTrue(source.contains("class EchoScenario"), source);
        Files.createDirectories(dir.resolve("example"));
        Files.writeString(dir.resolve("example/EchoScenario.java"), source);
        // a checkout in miniature: the script and the jar where README's commands expect them
        Files.createDirectories(dir.resolve("bench/target"));
        Files.createSymbolicLink(dir.resolve("bench/target/l4smp.jar"), jar);
        Files.createSymbolicLink(dir.resolve("scripts"), ROOT.resolve("scripts"));
        List<String> commands = new ArrayList<>(block(readme, "Compile it against `l4smp.jar`").lines()
                .filter(l -> !l.isBlank()).toList());
        assertEquals(4, commands.size(), commands.toString());
        String run = commands.getLast();
        assertTrue(run.startsWith("scripts/l4smp --classpath my-scenarios run echo"), run);
        commands.set(commands.size() - 1, run + " --seed 1 --ops 300 --no-progress --json echo.json");
        Result r = bash(dir, String.join("\n", commands), Map.of());
        assertEquals(0, r.code(), r.out());
        assertTrue(r.out().contains("scenario echo: 2 CPUs"), r.out());
        assertTrue(r.out().contains("operations: 300 of 300"), r.out());
        String json = Files.readString(dir.resolve("echo.json"));
        assertTrue(json.contains("\"scenario\" : \"echo\""), json);

        Result list = bash(dir, "scripts/l4smp list", Map.of("L4SMP_CLASSPATH", dir.resolve("my-scenarios").toString()));
        assertEquals(0, list.code(), list.out());
        assertTrue(list.out().contains("echo - one client, one server, one word"), list.out());
        Result without = bash(dir, "scripts/l4smp run echo --ops 10", Map.of());
        assertEquals(2, without.code(), "without the class path the scenario is unknown: " + without.out());
        Result missing = bash(dir, "scripts/l4smp --classpath no-such-dir list", Map.of());
        assertEquals(2, missing.code(), missing.out());
        assertTrue(missing.out().contains("no-such-dir"), missing.out());
    }
}
