package l4smp.bench.cli;

import l4smp.bench.report.Plots;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code l4smp plot REPORT.json... [--out DIR]}: PNG plots of one or more JSON reports, several
 * overlaid on one picture ({@link Plots}).
 */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Draw PNG plots of JSON reports (l4smp run --json): latency percentiles in cycles and host ns "
                + "(several reports overlaid), per-CPU time (one report), counters per operation.")
final class PlotCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "REPORT.json", description = "Reports written by 'l4smp run --json'.")
    List<Path> files;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", defaultValue = "l4smp-plots",
            description = "Directory for the PNG files (default ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() {
        List<Map<String, Object>> reports = ReportFiles.read(spec.commandLine(), files);
        try {
            List<Path> written = Plots.write(reports, ReportFiles.labels(files), out);
            for (Path p : written) {
                spec.commandLine().getOut().println("plot: " + p);
            }
        } catch (IOException e) {
            spec.commandLine().getErr().println("l4smp plot: cannot write the plots: " + e.getMessage());
            return L4smpCommand.EXIT_FAILED;
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
