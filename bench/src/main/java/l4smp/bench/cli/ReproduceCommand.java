package l4smp.bench.cli;

import l4smp.bench.report.Json;
import l4smp.bench.reproduce.PaperClaims;
import l4smp.bench.reproduce.ReproduceRow;
import l4smp.emulator.cost.CostModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code l4smp reproduce}: the thesis's figures of docs/thesis-claims.md against the emulator's, each
 * from a live run: id, claim, thesis figure, emulator figure, ratio, holds yes/no. Exit code 1
 * when a row does not hold.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Run the thesis's experiments and print its figures beside the emulator's (docs/thesis-claims.md).")
final class ReproduceCommand implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--preset", paramLabel = "PIII_450|P4", defaultValue = "PIII_450",
            description = "Cost-model preset (the thesis measured a PIII 450; default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the rows as a JSON array to FILE.")
    Path json;

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        CostModel model;
        try {
            model = CostModel.preset(preset);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cl, "option '--preset': " + e.getMessage());
        }
        PrintWriter out = cl.getOut();
        List<ReproduceRow> rows = PaperClaims.rows(model);
        out.printf(Locale.ROOT, "%-3s %-44s %-28s %12s %12s %7s %s%n", "id", "claim", "thesis", "thesis fig.",
                "emulator", "ratio", "holds");
        for (ReproduceRow r : rows) {
            out.printf(Locale.ROOT, "%-3s %-44s %-28s %12s %12s %7.3f %s  (%s)%n", r.id(), r.claim(), r.thesisFigure(),
                    Double.isNaN(r.thesisValue()) ? "-" : fmt(r.thesisValue()), fmt(r.emulatorValue()), r.ratio(),
                    r.holds() ? "yes" : "NO", r.unit());
        }
        long failed = rows.stream().filter(r -> !r.holds()).count();
        out.printf(Locale.ROOT, "%d of %d rows hold (preset %s)%n", rows.size() - failed, rows.size(), model.name());
        out.flush();
        if (json != null) {
            java.util.List<Object> array = new java.util.ArrayList<>();
            for (ReproduceRow r : rows) {
                java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
                row.put("id", r.id());
                row.put("claim", r.claim());
                row.put("source", r.thesisFigure());
                row.put("thesis", r.thesisValue());
                row.put("emulator", r.emulatorValue());
                row.put("ratio", r.ratio());
                row.put("holds", r.holds());
                row.put("unit", r.unit());
                array.add(row);
            }
            try {
                Json.write(Json.plain(array), json);
            } catch (IOException e) {
                cl.getErr().println("l4smp reproduce: cannot write " + json + ": " + e.getMessage());
                return L4smpCommand.EXIT_FAILED;
            }
        }
        return failed == 0 ? 0 : L4smpCommand.EXIT_FAILED;
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3f", v);
    }
}
