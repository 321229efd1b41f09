package l4smp.bench.cli;

import l4smp.bench.report.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The groups of {@code l4smp bench --what all}, each measured in a JVM of its own, as JMH forks
 * a JVM per benchmark.
 *
 * <p>Why: a group measured after the others in the same JVM runs on code that the JIT compiled
 * with the other groups' type profiles as well: by then the dispatcher, the continuations' entry
 * and the L4 stubs have run seeded and parallel scenarios of every kind, and the heap holds what
 * those filled.
 * Such a group's figures say more about the order of the groups than about the group: the local
 * round trip's ratio with the accounting layer off measured 1.53 as the last group of one JVM,
 * and 1.39-1.42 alone in the same minutes.
 *
 * <p>How: a child runs {@code l4smp bench --what GROUP} with the parent's sizes, on the parent's
 * java, JVM options and class path. Its text is passed on line by line; its figures are read
 * back from its {@code --json} file.
 *
 * <p>Only the command's thread uses it; one child runs at a time (the groups must not share the
 * host's cores).
 */
final class ForkedBenchGroups {

    /** The groups of {@code --what all}, in the order they run (the same as in one JVM). */
    static final List<String> ALL_GROUPS = List.of("timing", "heap", "memory", "threads", "cross", "local");

    private ForkedBenchGroups() {
    }

    /**
     * The command line of a child JVM running {@code l4smp bench} with {@code benchArgs}: this
     * JVM's java, its options (without a debugger agent or a flight recording, which would
     * collide with the parent's) and its class path.
     */
    static List<String> childCommand(List<String> benchArgs) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-XX:StartFlightRecording")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(L4smpCommand.class.getName());
        cmd.add("bench");
        cmd.addAll(benchArgs);
        return cmd;
    }

    /**
     * Runs {@code group} in a child JVM with the options {@code options} (sizes and mode): its
     * standard output goes to {@code out} as it comes, its standard error to {@code err} when it
     * has ended. Returns its figures (the {@code figures} member of its JSON), in its order.
     *
     * @throws IOException           the child could not be started or its figures not read
     * @throws IllegalStateException the child exited with another status than 0
     * @throws InterruptedException  this thread was interrupted while it waited (the child is
     *                               destroyed)
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> run(String group, List<String> options, PrintWriter out, PrintWriter err)
            throws IOException, InterruptedException {
        Path json = Files.createTempFile("l4smp-bench-" + group + "-", ".json");
        Path errors = Files.createTempFile("l4smp-bench-" + group + "-", ".err");
        Process child = null;
        Thread reaper = null;
        try {
            List<String> args = new ArrayList<>(List.of("--what", group));
            args.addAll(options);
            args.add("--json");
            args.add(json.toString());
            child = new ProcessBuilder(childCommand(args)).redirectError(errors.toFile()).start();
            // The child must not outlive this JVM (an interrupt that ends the parent, say).
            reaper = new Thread(child::destroyForcibly, "l4smp-bench-child-reaper");
            Runtime.getRuntime().addShutdownHook(reaper);
            child.getOutputStream().close();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    out.println(line);
                    out.flush();
                }
            }
            int status = child.waitFor();
            String childErr = Files.readString(errors, StandardCharsets.UTF_8);
            if (!childErr.isEmpty()) {
                err.print(childErr);
                err.flush();
            }
            if (status != 0) {
                throw new IllegalStateException("the JVM of the " + group + " group exited with status " + status);
            }
            Object figures = ((Map<String, Object>) Json.read(json)).get("figures");
            if (!(figures instanceof Map<?, ?> m)) {
                throw new IOException("the " + group + " group's JSON has no figures: " + json);
            }
            return new LinkedHashMap<>((Map<String, Object>) m);
        } finally {
            if (child != null && child.isAlive()) {
                child.destroyForcibly();
            }
            if (reaper != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(reaper);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs (or ran) anyway
                }
            }
            Files.deleteIfExists(json);
            Files.deleteIfExists(errors);
        }
    }
}
