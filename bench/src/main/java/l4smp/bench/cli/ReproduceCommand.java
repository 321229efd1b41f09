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
 * from a live run: id, kind (calibration, path, emergent), claim, thesis figure, emulator figure,
 * ratio, holds yes/no. The thesis's figures are compared only under the preset of the machine
 * it measured (PIII_450); under another preset they read n/a and only preset-independent rows
 * are judged. Exit code 1 when a judged row does not hold.
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
        List<ReproduceRow> rows = PaperClaims.rows(model);
        int code = report(model, rows, cl.getOut());
        if (json != null) {
            java.util.List<Object> array = new java.util.ArrayList<>();
            for (ReproduceRow r : rows) {
                java.util.Map<String, Object> row = new java.util.LinkedHashMap<>();
                row.put("id", r.id());
                row.put("kind", r.kind().label());
                row.put("claim", r.claim());
                row.put("source", r.thesisFigure());
                row.put("thesis", r.thesisValue());
                row.put("emulator", r.emulatorValue());
                row.put("ratio", r.ratio());
                row.put("holds", r.holds());
                row.put("verdict", r.verdict().name().toLowerCase(Locale.ROOT));
                row.put("preset_independent", r.presetIndependent());
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
        return code;
    }

    /**
     * Prints {@code rows} measured with {@code model} (header, one line per row, the summary)
     * and returns the exit code: {@link L4smpCommand#EXIT_FAILED} when a judged row does not
     * hold, else 0.
     */
    static int report(CostModel model, List<ReproduceRow> rows, PrintWriter out) {
        if (!PaperClaims.isThesisMachine(model)) {
            out.printf(Locale.ROOT, "preset %s: the thesis measured a dual %s; its figures are not compared"
                    + " (n/a), only preset-independent rows are judged%n", model.name(), PaperClaims.THESIS_MACHINE.name());
        }
        out.printf(Locale.ROOT, "%-3s %-11s %-44s %-28s %12s %12s %7s %s%n", "id", "kind", "claim", "thesis",
                "thesis fig.", "emulator", "ratio", "holds");
        for (ReproduceRow r : rows) {
            boolean compared = r.verdict() != ReproduceRow.Verdict.NOT_COMPARED;
            out.printf(Locale.ROOT, "%-3s %-11s %-44s %-28s %12s %12s %7s %s  (%s)%n", r.id(), r.kind().label(), r.claim(),
                    r.thesisFigure(), !compared ? "n/a" : Double.isNaN(r.thesisValue()) ? "-" : fmt(r.thesisValue()),
                    fmt(r.emulatorValue()), Double.isNaN(r.ratio()) ? "n/a" : String.format(Locale.ROOT, "%.3f", r.ratio()),
                    switch (r.verdict()) {
                        case HOLDS -> "yes";
                        case FAILS -> "NO";
                        case NOT_COMPARED -> "n/a";
                    }, r.unit());
        }
        long failed = rows.stream().filter(r -> r.verdict() == ReproduceRow.Verdict.FAILS).count();
        out.printf(Locale.ROOT, "%s (preset %s)%n", PaperClaims.summary(rows), model.name());
        out.flush();
        return failed == 0 ? 0 : L4smpCommand.EXIT_FAILED;
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.3f", v);
    }
}
