package l4smp.bench.cli;

import l4smp.bench.runner.ScenarioRunner;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SIGINT and SIGTERM while a run is in progress: the first one stops the machine cleanly
 * ({@link ScenarioRunner#interrupt}), so that the command prints the report of what ran and
 * writes every requested file before it exits with 130 (SIGINT) or 143 (SIGTERM); a second one
 * exits at once with that code. {@link #close} puts the JVM's own handlers back.
 *
 * <p>Thread contract: {@link #install} and {@link #close} on the command's thread; the
 * handlers run on the JVM's signal thread; {@link #signalVolatile} from any thread.
 */
final class SignalStop implements AutoCloseable {

    private static final String[] SIGNALS = {"INT", "TERM"};

    private final ScenarioRunner runner;
    private final PrintWriter err;
    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    /** The first signal taken ("SIGINT", "SIGTERM"), or null. */
    private volatile String signal;

    private SignalStop(ScenarioRunner runner, PrintWriter err) {
        this.runner = runner;
        this.err = err;
    }

    /**
     * Installs the handlers. Where the JVM does not let a program handle a signal (e.g. under
     * {@code -Xrs}), that signal keeps the JVM's behaviour: it ends the process at once.
     */
    static SignalStop install(ScenarioRunner runner, PrintWriter err) {
        SignalStop stop = new SignalStop(runner, err);
        for (String name : SIGNALS) {
            try {
                Signal sig = new Signal(name);
                stop.previous.put(sig, Signal.handle(sig, stop::take));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                err.println("l4smp: warning: cannot handle SIG" + name + " (" + e.getMessage()
                        + "); it ends the run without a report");
                err.flush();
            }
        }
        return stop;
    }

    private void take(Signal sig) {
        String name = "SIG" + sig.getName();
        if (signal != null) {
            err.println("l4smp: " + name + " again: exiting at once, without the report");
            err.flush();
            Runtime.getRuntime().halt(exitCode(signal));
        }
        signal = name;
        err.println("l4smp: " + name + ": stopping the run; the report follows (" + name
                + " again exits at once)");
        err.flush();
        runner.interrupt(name);
    }

    /** The exit code of a run stopped by {@code signal}: 128 + its number. */
    static int exitCode(String signal) {
        return "SIGTERM".equals(signal) ? RunCommand.EXIT_SIGTERM : RunCommand.EXIT_SIGINT;
    }

    /** The first signal taken ("SIGINT" or "SIGTERM"), or null if none came. */
    String signalVolatile() {
        return signal;
    }

    /** Puts the handlers back that were installed before. */
    @Override
    public void close() {
        previous.forEach(Signal::handle);
        previous.clear();
    }
}
