package l4smp.bench.cli;

import l4smp.bench.report.CounterGlossary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code l4smp counters}: every counter a report can show, with its unit and meaning. */
@Command(name = "counters", mixinStandardHelpOptions = true,
        description = "Explain the counters of the reports: every counter with its unit and meaning, by subsystem.")
final class CountersCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        CounterGlossary.lines().forEach(out::println);
        out.flush();
        return 0;
    }
}
