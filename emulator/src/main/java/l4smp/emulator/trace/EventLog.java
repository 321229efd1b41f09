package l4smp.emulator.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * A log of simulated events: every IPI, trap and switch with its CPU and simulated time.
 *
 * <p>Single writer. In parallel mode each CPU owns one log; in deterministic mode all CPUs share
 * one (they all run on the stepping host thread), so its order is the exact order of execution.
 *
 * <p>The log always keeps a 64-bit rolling hash of every event (an FNV-1a chain over one mixed
 * word per event, {@link #mix}), cheap enough for every run; with {@code capture} it also keeps the events
 * themselves, up to a bound (the hash still covers all of them). Two runs with equal hashes and
 * equal event counts had identical traces, up to the (negligible) chance of a hash collision;
 * tests that need certainty compare captured events.
 *
 * <p>A captured log may hand its events to a {@link Spool} in chunks of {@value #SPOOL_CHUNK}
 * instead of keeping them all: the writer passes each full chunk on and reuses its buffer, and
 * {@link #flushSpool} passes on the rest once the machine has stopped. A long trace then costs a
 * chunk of memory per log, not one array of every event.
 */
public final class EventLog {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;
    private static final int FIELDS = 5;
    /** Events a spooling log buffers before it passes them on. */
    public static final int SPOOL_CHUNK = 8192;

    /**
     * Receives captured events in chunks, on the log's writer thread: {@code count} events of
     * five words each (cpu, kind, time, a, b) at the start of {@code events}, which the log reuses
     * once the call returns. Must not throw; an implementation that cannot store them remembers
     * the failure for its reader.
     */
    public interface Spool {
        void write(long[] events, int count);
    }

    /**
     * Sees every event as it is recorded, on the log's writer thread (in parallel mode several
     * logs' writers at once: an implementation shared by logs is thread-safe). For diagnostics
     * that follow a run live, such as flight-recorder events; it must not throw.
     */
    public interface Listener {
        void onEvent(int cpu, int kind, long time, long a, long b);
    }

    private final boolean capture;
    private final int maxEvents;
    private long[] events;
    private int size;
    private long captured;
    private long count;
    private Spool spool;
    private Listener listener;
    private long hash = FNV_OFFSET;

    /**
     * @param capture   keep the events, not only the hash
     * @param maxEvents the most events kept when capturing (later ones are hashed and counted)
     */
    public EventLog(boolean capture, int maxEvents) {
        if (maxEvents < 0) {
            throw new IllegalArgumentException("maxEvents must be >= 0: " + maxEvents);
        }
        this.capture = capture;
        this.maxEvents = maxEvents;
        this.events = capture ? new long[Math.min(maxEvents, 4096) * FIELDS] : new long[0];
    }

    /** Records one event. Writer only. */
    public void record(int cpu, int kind, long time, long a, long b) {
        hash = (hash ^ mix(cpu, kind, time, a, b)) * FNV_PRIME;
        count++;
        if (listener != null) {
            listener.onEvent(cpu, kind, time, a, b);
        }
        if (capture && captured < maxEvents) {
            if ((size + 1) * FIELDS > events.length) {
                if (spool != null && size >= SPOOL_CHUNK) {
                    spoolSlowPath();
                } else {
                    growSlowPath();
                }
            }
            int i = size * FIELDS;
            events[i] = cpu;
            events[i + 1] = kind;
            events[i + 2] = time;
            events[i + 3] = a;
            events[i + 4] = b;
            size++;
            captured++;
        }
    }

    /**
     * The event as one word: each field multiplied by its own odd constant (independent
     * multiplies, so the chain through {@code hash} is one multiply per event, not five).
     */
    static long mix(int cpu, int kind, long time, long a, long b) {
        return (time * 0x9E3779B97F4A7C15L) ^ (a * 0xC2B2AE3D27D4EB4FL) ^ (b * 0x165667B19E3779F9L)
                ^ (((long) kind << 32) | (cpu & 0xFFFF_FFFFL)) * 0xD6E8FEB86659FD93L;
    }

    private void growSlowPath() {
        int cap = spool != null ? SPOOL_CHUNK : maxEvents;
        long[] bigger = new long[(int) Math.min(Math.max(events.length * 2L, 64L * FIELDS), (long) cap * FIELDS)];
        System.arraycopy(events, 0, bigger, 0, size * FIELDS);
        events = bigger;
    }

    private void spoolSlowPath() {
        spool.write(events, size);
        size = 0;
    }

    /**
     * Hands the captured events to {@code spool} in chunks from now on. Setup only, before the
     * machine runs (the writer reads the field without synchronisation; the machine's start is
     * the happens-before edge).
     */
    public void spoolTo(Spool spool) {
        if (!capture) {
            throw new IllegalStateException("a log that does not capture has nothing to spool");
        }
        this.spool = spool;
        if (events.length > SPOOL_CHUNK * FIELDS) {
            events = new long[SPOOL_CHUNK * FIELDS];
        }
    }

    /** Shows every event from now on to {@code listener}. Setup only, before the machine runs. */
    public void listen(Listener listener) {
        this.listener = listener;
    }

    /** Passes the events still buffered to the spool. Call once the machine stopped. */
    public void flushSpool() {
        if (spool != null && size > 0) {
            spoolSlowPath();
        }
    }

    /** The events captured (kept or spooled), at most {@code maxEvents}. Read after the machine stopped. */
    public long captured() {
        return captured;
    }

    /** The rolling hash of all events recorded so far. Read after the machine stopped. */
    public long hash() {
        return hash;
    }

    /** The number of events recorded (captured or not). Read after the machine stopped. */
    public long count() {
        return count;
    }

    /** The captured events still held (all of them unless spooled), in order. Read after the machine stopped. */
    public List<Event> events() {
        List<Event> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            int j = i * FIELDS;
            list.add(new Event((int) events[j], (int) events[j + 1], events[j + 2], events[j + 3], events[j + 4]));
        }
        return list;
    }

    /** One captured event. */
    public record Event(int cpu, int kind, long time, long a, long b) {
        @Override
        public String toString() {
            return "cpu" + cpu + " @" + time + " " + EventKind.name(kind) + " " + a + " " + b;
        }
    }
}
