package l4smp.bench.cli;

import l4smp.bench.runner.Scenarios;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code l4smp list}: the scenarios on the class path with their descriptions and options. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List the scenarios (built-in and any on the class path) with their options.")
final class ListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        for (Scenario s : Scenarios.load().all()) {
            out.println(s.name() + " - " + s.description());
            out.println("    CPUs: default " + s.defaultCpus() + ", at least " + s.minCpus());
            printOptions(out, s, "    ");
        }
        out.flush();
        return 0;
    }

    /** Prints a scenario's own options, one per line, with type, default and range. */
    static void printOptions(PrintWriter out, Scenario s, String indent) {
        if (s.options().isEmpty()) {
            out.println(indent + "(no options of its own)");
            return;
        }
        for (OptionSpec o : s.options()) {
            out.printf("%s--%-22s %s (%s, default %s)%n", indent, o.name() + " " + valueLabel(o), o.description(),
                    constraint(o), defaultLabel(o));
        }
    }

    /** The default as the user would type it (on|off options: on or off). */
    private static String defaultLabel(OptionSpec o) {
        if (o.type() == OptionSpec.Type.BOOLEAN && o.defaultValue() != null) {
            return Boolean.TRUE.equals(o.parse(o.defaultValue())) ? "on" : "off";
        }
        return o.defaultValue();
    }

    private static String valueLabel(OptionSpec o) {
        return switch (o.type()) {
            case LONG -> "N";
            case BOOLEAN -> "on|off";
            case CHOICE -> String.join("|", o.choices());
            case STRING -> "TEXT";
        };
    }

    private static String constraint(OptionSpec o) {
        return switch (o.type()) {
            case LONG -> o.min() + ".." + o.max();
            case BOOLEAN -> "on or off";
            case CHOICE -> "one of " + String.join(", ", o.choices());
            case STRING -> "text";
        };
    }
}
