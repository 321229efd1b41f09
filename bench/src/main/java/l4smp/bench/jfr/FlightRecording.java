package l4smp.bench.jfr;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.List;

/**
 * A JDK Flight Recorder recording of one run ({@code --jfr FILE}): the JDK's "default" settings
 * (the host's profile: GC, CPU samples, locks, allocation) plus every event of
 * {@link FlightEvents}, written to the file when the run ends. Opens in JDK Mission Control or
 * with {@code jfr print}.
 *
 * <p>Started and stopped on the command's thread.
 */
public final class FlightRecording implements AutoCloseable {

    /** The events of a run, by class. */
    static final List<Class<? extends jdk.jfr.Event>> EVENTS = List.of(FlightEvents.Ipc.class,
            FlightEvents.XpIpc.class, FlightEvents.Ipi.class, FlightEvents.IpiTaken.class,
            FlightEvents.Shootdown.class, FlightEvents.PageFault.class, FlightEvents.Migration.class);

    private final Recording recording;

    private FlightRecording(Recording recording) {
        this.recording = recording;
    }

    /** Starts a recording that will be written to {@code file}. */
    public static FlightRecording start(Path file) throws IOException {
        Configuration settings;
        try {
            settings = Configuration.getConfiguration("default");
        } catch (ParseException e) {
            throw new IOException("the JDK's default JFR settings do not parse", e);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Recording r = new Recording(settings);
        r.setName("l4smp");
        for (Class<? extends jdk.jfr.Event> e : EVENTS) {
            r.enable(e);
        }
        r.setDestination(file);
        r.start();
        return new FlightRecording(r);
    }

    /** A listener that turns the run's trace events into this recording's events. */
    public JfrTraceListener listener() {
        return new JfrTraceListener();
    }

    /** Stops the recording and writes it to its file. */
    @Override
    public void close() {
        recording.stop();
        recording.close();
    }
}
