package l4smp.bench.cli;

import l4smp.bench.report.Json;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reading the JSON reports that {@code compare} and {@code plot} take. Stateless. */
final class ReportFiles {

    private ReportFiles() {
    }

    /** The reports at {@code files}; a file that is not a run report is a usage error naming it. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> read(CommandLine cl, List<Path> files) {
        List<Map<String, Object>> reports = new ArrayList<>();
        for (Path f : files) {
            Object root;
            try {
                root = Json.read(f);
            } catch (IOException e) {
                throw new CommandLine.ParameterException(cl, "cannot read report " + f + ": "
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
            if (!(root instanceof Map<?, ?> m) || !m.containsKey("scenario") || !m.containsKey("latency")) {
                throw new CommandLine.ParameterException(cl, f + " is not a run report (l4smp run --json)");
            }
            reports.add((Map<String, Object>) root);
        }
        return reports;
    }

    /** The labels of the reports: their file names without {@code .json}. */
    static List<String> labels(List<Path> files) {
        List<String> labels = new ArrayList<>();
        for (Path f : files) {
            String n = f.getFileName().toString();
            labels.add(n.endsWith(".json") ? n.substring(0, n.length() - 5) : n);
        }
        return labels;
    }
}
