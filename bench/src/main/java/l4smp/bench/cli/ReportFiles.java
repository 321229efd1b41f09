package l4smp.bench.cli;

import l4smp.bench.report.Json;
import picocli.CommandLine;

import java.io.IOException;
import java.util.Locale;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reading the JSON reports that {@code compare} and {@code plot} take, and checking the output
 * paths of the commands that write files ({@code run}, {@code bench}) before they start. Stateless.
 */
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

    /** Checks the output directory of {@code option} (see {@link #checkOutputFile}); {@code null}: none given. */
    static void checkOutputDirectory(CommandLine cl, String option, Path dir) {
        if (dir == null) {
            return;
        }
        if (dir.toString().isBlank()) {
            throw new CommandLine.ParameterException(cl, "option '" + option + "': the directory name is empty");
        }
        if (java.nio.file.Files.exists(dir) && !java.nio.file.Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(cl, "option '" + option + "': " + dir
                    + " is a file, and the option needs a directory");
        }
        createDirectory(cl, option, dir);
        probeWritable(cl, option, dir.resolve(".l4smp-write-test"));
    }

    /**
     * Checks, before any work, that {@code option}'s output file can be written: not empty, not
     * a directory, its parent directory created if missing, and writable; otherwise a usage error
     * naming the option (exit 2). {@code null}: the option was not given.
     */
    static void checkOutputFile(CommandLine cl, String option, Path file) {
        if (file == null) {
            return;
        }
        if (file.toString().isBlank() || file.getFileName() == null) {
            throw new CommandLine.ParameterException(cl, "option '" + option + "': the file name is empty");
        }
        if (java.nio.file.Files.isDirectory(file)) {
            throw new CommandLine.ParameterException(cl, "option '" + option + "': " + file
                    + " is a directory, and the option needs a file");
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            createDirectory(cl, option, parent);
        }
        probeWritable(cl, option, file);
    }

    private static void createDirectory(CommandLine cl, String option, Path dir) {
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new CommandLine.ParameterException(cl, "option '" + option + "': " + e.getFile()
                    + " is a file where a directory is needed");
        } catch (IOException | RuntimeException e) {
            throw new CommandLine.ParameterException(cl, "option '" + option + "': cannot create the directory "
                    + dir + " (" + describe(e) + ")");
        }
    }

    /**
     * Opens {@code file} for appending (creating it, and deleting it again if it was not there):
     * the one check of writability that holds for every user, root included.
     */
    private static void probeWritable(CommandLine cl, String option, Path file) {
        boolean existed = java.nio.file.Files.exists(file);
        try {
            java.nio.file.Files.newOutputStream(file, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND).close();
            if (!existed) {
                java.nio.file.Files.deleteIfExists(file);
            }
        } catch (IOException | RuntimeException e) {
            throw new CommandLine.ParameterException(cl, "option '" + option + "': cannot write " + file + " ("
                    + describe(e) + ")");
        }
    }

    private static String describe(Exception e) {
        String simple = e.getClass().getSimpleName().replace("Exception", "").replaceAll("([a-z])([A-Z])", "$1 $2")
                .toLowerCase(Locale.ROOT);
        return e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null
                ? fs.getReason() : simple.isBlank() ? String.valueOf(e.getMessage()) : simple;
    }

}
