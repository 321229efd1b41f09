package l4smp.bench.report;

import l4smp.emulator.Machine;
import l4smp.emulator.trace.EventLog;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Where a captured trace goes while the machine runs ({@code --trace}): one temporary file per
 * event log, written in chunks by the log's own writer (the CPU's thread in parallel mode, the
 * stepper in deterministic mode), so that a long trace costs a chunk of memory per log rather
 * than every event. Once the machine stopped, {@link #finish} flushes the logs and
 * {@link #events(int)} reads a log's events back in order, for the trace writers.
 *
 * <p>Thread contract: each {@link LogFile} has one writer, its log's; {@link #finish},
 * {@link #events} and {@link #close} run on the runner's thread after the machine stopped (its
 * stop is the happens-before edge to the writers).
 */
public final class TraceSpool implements AutoCloseable {

    private final Path dir;
    private final List<LogFile> files = new ArrayList<>();
    private final Machine machine;
    private IOException openFailure;

    /**
     * Spools every event log of {@code machine} into a new temporary directory. Setup only,
     * before the machine runs; the files are opened when it starts.
     */
    public TraceSpool(Machine machine) throws IOException {
        this.machine = machine;
        this.dir = Files.createTempDirectory("l4smp-trace");
        dir.toFile().deleteOnExit();
        machine.spoolTrace(this::open);
    }

    /** The spool of log {@code i}; on the thread that starts the machine. */
    private EventLog.Spool open(int i) {
        Path file = dir.resolve("log" + i + ".bin");
        file.toFile().deleteOnExit();
        try {
            LogFile f = new LogFile(file);
            files.add(f);
            return f;
        } catch (IOException e) {
            openFailure = e;
            return (events, count) -> { };
        }
    }

    /** Flushes every log's last chunk and closes the files; fails if a write failed during the run. */
    public void finish() throws IOException {
        if (openFailure != null) {
            throw new IOException("cannot open the trace's temporary file", openFailure);
        }
        List<EventLog> logs = machine.eventLogs();
        for (int i = 0; i < logs.size(); i++) {
            logs.get(i).flushSpool();
            files.get(i).close();
        }
    }

    /** The number of logs. */
    public int logs() {
        return files.size();
    }

    /** The events of log {@code i}, in the order they were recorded. After {@link #finish}. */
    public Iterable<EventLog.Event> events(int i) {
        Path file = files.get(i).file;
        return () -> new Reader(file);
    }

    /** Deletes the temporary files. */
    @Override
    public void close() throws IOException {
        for (LogFile f : files) {
            f.closeQuietly();
            Files.deleteIfExists(f.file);
        }
        Files.deleteIfExists(dir);
    }

    /** One log's file: five longs per event. Single writer (the log's). */
    static final class LogFile implements EventLog.Spool {
        final Path file;
        private final DataOutputStream out;
        private IOException failure;

        LogFile(Path file) throws IOException {
            this.file = file;
            this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
        }

        @Override
        public void write(long[] events, int count) {
            if (failure != null) {
                return;
            }
            try {
                for (int i = 0; i < count * 5; i++) {
                    out.writeLong(events[i]);
                }
            } catch (IOException e) {
                failure = e; // reported by close(), after the machine stopped
            }
        }

        void close() throws IOException {
            out.close();
            if (failure != null) {
                throw new IOException("writing the trace to " + file + " failed", failure);
            }
        }

        void closeQuietly() {
            try {
                out.close();
            } catch (IOException e) {
                // the file is deleted next
            }
        }
    }

    /** Reads a log's file back, event by event. */
    private static final class Reader implements Iterator<EventLog.Event> {
        private final DataInputStream in;
        private EventLog.Event next;

        Reader(Path file) {
            try {
                in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            advance();
        }

        private void advance() {
            try {
                long cpu = in.readLong();
                next = new EventLog.Event((int) cpu, (int) in.readLong(), in.readLong(), in.readLong(), in.readLong());
            } catch (EOFException e) {
                next = null;
                try {
                    in.close();
                } catch (IOException ignored) {
                    // read to the end
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public EventLog.Event next() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            EventLog.Event e = next;
            advance();
            return e;
        }
    }
}
