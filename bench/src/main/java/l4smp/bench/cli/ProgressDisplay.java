package l4smp.bench.cli;

import l4smp.bench.runner.ScenarioRunner.Progress;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The progress of {@code l4smp run} on stderr. On a terminal, a bar redrawn in place every second
 * from the start (operations done, share, rate, ETA) and erased when the run ends; otherwise a
 * plain line per second after the first two (a log or a pipe gets no control characters).
 *
 * <p>Called on the runner's timer thread, and once more on the command's thread after the
 * machine stopped (the runner's timer has ended by then); writes under the writer's lock.
 */
final class ProgressDisplay implements Consumer<Progress> {

    static final int BAR = 30;

    private final PrintWriter err;
    private final boolean terminal;
    private int lastWidth;

    ProgressDisplay(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** Whether stderr is a terminal the bar can redraw on. */
    static boolean stderrIsTerminal() {
        java.io.Console console = System.console();
        if (console == null || "dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            // JDK 22+: a console exists even when redirected; isTerminal tells
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console exists only on a terminal
        }
    }

    /** Host time before the first report: at once on a terminal, after two seconds in a log. */
    long delayMs() {
        return terminal ? 0 : 2000;
    }

    @Override
    public void accept(Progress p) {
        synchronized (err) {
            if (!terminal) {
                if (!p.finished()) {
                    err.println("l4smp: " + p.line());
                    err.flush();
                }
                return;
            }
            if (p.finished()) {
                err.print("\r" + " ".repeat(lastWidth) + "\r");
                err.flush();
                return;
            }
            String line = bar(p);
            err.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
            lastWidth = line.length();
            err.flush();
        }
    }

    /** The bar line: [#####-----]  45.0%  45,000/100,000 ops  36,210 ops/s  ETA 0:02. */
    static String bar(Progress p) {
        double f = p.fraction();
        StringBuilder sb = new StringBuilder("[");
        int filled = f < 0 ? 0 : (int) Math.round(f * BAR);
        sb.append("#".repeat(filled)).append("-".repeat(BAR - filled)).append("] ");
        sb.append(f < 0 ? "    ?" : String.format(Locale.ROOT, "%5.1f%%", 100 * f));
        sb.append(String.format(Locale.ROOT, "  %,d", p.opsDone()));
        if (p.opsRequested() != Long.MAX_VALUE) {
            sb.append(String.format(Locale.ROOT, "/%,d", p.opsRequested()));
        }
        sb.append(String.format(Locale.ROOT, " ops  %,.0f ops/s", p.rate()));
        double eta = p.etaSeconds();
        sb.append("  ETA ").append(eta < 0 ? "?" : Progress.duration(eta));
        return sb.toString();
    }
}
