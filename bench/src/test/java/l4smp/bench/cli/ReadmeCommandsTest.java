package l4smp.bench.cli;

import l4smp.bench.runner.Scenarios;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README.md stays true: every option it names exists, and every concrete command of its
 * examples runs and exits 0 (with few operations, files in a temporary directory).
 */
class ReadmeCommandsTest {

    /**
     * Options README names that belong to the JVM, to the JDK's jfr tool or to scripts/l4smp
     * itself (--classpath: ReadmeScenarioScriptTest runs it), not to the command line.
     */
    static final Set<String> NOT_CLI = Set.of("--add-exports", "--add-opens", "--classpath", "--events",
            // options of scripts/stress and scripts/scenario-sweep, not of l4smp
            "--sweep-only", "--hunts-only", "--jcstress-only", "--timing-only", "--reps", "--budget");

    static String readme() throws Exception {
        return Files.readString(Path.of("..", "README.md"));
    }

    /** Every option of every subcommand of l4smp and of every scenario. */
    static Set<String> knownOptions() {
        Set<String> known = new TreeSet<>();
        CommandLine cl = L4smpCommand.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        collect(cl, known);
        for (Scenario s : Scenarios.load().all()) {
            for (OptionSpec o : s.options()) {
                known.add("--" + o.name());
            }
        }
        return known;
    }

    private static void collect(CommandLine cl, Set<String> known) {
        for (CommandLine.Model.OptionSpec o : cl.getCommandSpec().options()) {
            for (String n : o.names()) {
                known.add(n);
                if (o.negatable() && n.startsWith("--")) {
                    known.add("--no-" + n.substring(2));
                }
            }
        }
        cl.getSubcommands().values().forEach(sub -> collect(sub, known));
    }

    @Test
    void everyOptionInTheReadmeExists() throws Exception {
        Set<String> known = knownOptions();
        Set<String> unknown = new TreeSet<>();
        Matcher m = Pattern.compile("(?<![\\w-])--(\\[no-])?([a-z][a-z0-9-]*)").matcher(readme());
        int found = 0;
        while (m.find()) {
            found++;
            String name = "--" + m.group(2);
            if (!known.contains(name) && !NOT_CLI.contains(name)) {
                unknown.add(name);
            }
            if (m.group(1) != null && !known.contains("--no-" + m.group(2))) {
                unknown.add("--no-" + m.group(2));
            }
        }
        assertTrue(found > 40, "README names its options");
        assertEquals(Set.of(), unknown, "options README names that no command or scenario has");
    }

    /** The concrete commands of README: code lines and inline code that start with scripts/l4smp or l4smp. */
    static List<String> commands(String readme) {
        Set<String> out = new LinkedHashSet<>();
        boolean inCode = false;
        for (String line : readme.split("\n")) {
            if (line.startsWith("```")) {
                inCode = !inCode;
                continue;
            }
            if (inCode) {
                String cmd = line.replaceAll("\\s+#.*$", "").trim();
                if (cmd.startsWith("scripts/l4smp ")) {
                    out.add(cmd.substring("scripts/l4smp ".length()));
                }
            } else {
                Matcher m = Pattern.compile("`(?:scripts/)?l4smp ([^`]+)`").matcher(line);
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        List<String> concrete = new ArrayList<>();
        for (String c : out) {
            // a synopsis, not an example: it names its arguments (SCENARIO, FILE, N...), alternatives or optional parts
            if (!c.matches(".*(\\[|\\.\\.\\.|\\||\\bSCENARIO\\b|\\bREPORT\\b|\\bFILE\\b|\\bDIR\\b|\\bN\\b).*")) {
                concrete.add(c);
            }
        }
        return concrete;
    }

    @Test
    void everyCommandInTheReadmeExamplesRuns(@TempDir Path dir) throws Exception {
        List<String> commands = commands(readme());
        assertTrue(commands.size() >= 10, "README's examples: " + commands);
        assertTrue(commands.contains("run --replay naive.json --json again.json"), commands.toString());
        for (String command : commands) {
            if (command.startsWith("run echo") || command.startsWith("--classpath")) {
                continue; // README's own scenario: compiled and run through scripts/l4smp by ReadmeScenarioScriptTest
            }
            List<String> args = small(List.of(command.split("\\s+")), dir);
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = L4smpCommand.execute(args.toArray(String[]::new), new PrintWriter(out, true),
                    new PrintWriter(err, true));
            if (args.get(0).equals("reproduce") && code == 1) {
                // reproduce exits 1 when a judged row does not hold; README names each such row
                // ("Dn does not hold") and says why: no other row may fail
                Matcher failing = Pattern.compile("do not \\(([^)]*)\\)").matcher(out.toString());
                assertTrue(failing.find(), () -> "reproduce exited 1 without naming a failing row: " + out);
                for (String id : failing.group(1).split(",\\s*")) {
                    assertTrue(readme().contains(id + " does not hold"), () -> "row " + id + " fails, and README "
                            + "does not say why: " + out);
                }
                continue;
            }
            assertEquals(0, code, () -> "'" + command + "' (run as " + args + "): " + err + out);
        }
    }

    /** The command made small and local: few operations, no progress, files in {@code dir}. */
    static List<String> small(List<String> words, Path dir) {
        List<String> args = new ArrayList<>();
        boolean run = words.getFirst().equals("run") && !words.contains("--help") && !words.contains("--replay");
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (run && (w.equals("--ops") || w.equals("--seconds"))) {
                i++; // replaced below
                continue;
            }
            if (w.endsWith(".json") || w.endsWith(".txt") || w.endsWith(".jfr") || (i > 0 && List.of("-o", "--out", "--plot", "--hgrm")
                    .contains(words.get(i - 1)))) {
                w = dir.resolve(w).toString();
            }
            args.add(w);
        }
        if (run) {
            args.addAll(List.of("--ops", "200", "--no-progress"));
        }
        if (words.getFirst().equals("bench")) {
            args.addAll(List.of("--rounds", "1000", "--warmup", "0", "--iterations", "1"));
        }
        return args;
    }
}
