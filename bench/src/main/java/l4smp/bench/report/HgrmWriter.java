package l4smp.bench.report;

import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a run's histograms as HdrHistogram percentile-distribution files ({@code .hgrm},
 * {@link Histogram#outputPercentileDistribution} with a value scaling ratio of 1.0, so values
 * are raw simulated cycles or host nanoseconds), which HdrHistogram's plotter reads: for the
 * merged histograms {@code SCENARIO.cycles.hgrm} and {@code SCENARIO.ns.hgrm}, and for each
 * recorder {@code SCENARIO.RECORDER.cycles.hgrm} / {@code .ns.hgrm} (the recorder's name made
 * file-safe).
 *
 * <p>Stateless; any thread.
 */
public final class HgrmWriter {

    private HgrmWriter() {
    }

    /** Writes every file into {@code dir} (created if needed); returns the files written. */
    public static List<Path> write(RunReport r, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        String base = safe(r.scenario());
        written.add(write(dir.resolve(base + ".cycles.hgrm"), r.cycles()));
        written.add(write(dir.resolve(base + ".ns.hgrm"), r.hostNanos()));
        List<String> used = new ArrayList<>();
        for (RunReport.RecorderReport rec : r.recorders()) {
            String name = safe(rec.name());
            String unique = name;
            for (int n = 2; used.contains(unique); n++) {
                unique = name + "-" + n;
            }
            used.add(unique);
            written.add(write(dir.resolve(base + "." + unique + ".cycles.hgrm"), rec.cycles()));
            written.add(write(dir.resolve(base + "." + unique + ".ns.hgrm"), rec.hostNanos()));
        }
        return written;
    }

    private static Path write(Path file, Histogram h) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
             PrintStream ps = new PrintStream(os, false, StandardCharsets.UTF_8)) {
            h.outputPercentileDistribution(ps, 1.0);
        }
        return file;
    }

    /** A file-name-safe form: letters, digits, '-', '_' and '.' kept, runs of others become '_'. */
    static String safe(String name) {
        String s = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "_");
        s = s.replaceAll("^[._]+|_+$", "");
        return s.isEmpty() ? "recorder" : s;
    }
}
