package l4smp.bench.report;

import l4smp.emulator.trace.EventKind;
import l4smp.emulator.trace.EventLog;
import l4smp.kernel.Syscall;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a run's captured event trace ({@code --trace FILE}) in the Chrome / Perfetto JSON
 * trace-event format, in simulated time (microseconds on the cost model's clock): one track per
 * CPU; which thread ran on it (a slice from each switch to the next switch, idle or thread end),
 * idle periods, every other event as an instant, and IPIs as flow arrows from the sender's
 * {@code ipi-send} to the target's {@code ipi-take}. The k-th IPI from CPU s to CPU d with
 * vector v is paired with the k-th take of that triple (the APIC delivers them in order).
 * Thread slices and events name the kernel's threads ("client (7)"). A trace cut short by
 * {@code --trace-limit} says so in its metadata and with a marker at the cut on every CPU's
 * track. A file name ending in {@code .txt} gets a plain text dump instead: a header (scenario,
 * mode, hash, the columns and what a and b mean per event), one event per line, a line saying
 * where it was truncated, and the thread names. The events come from the run's
 * {@link TraceSpool} (streamed to temporary files during the run) when there is one.
 *
 * <p>Read after the machine stopped; stateless; any thread.
 */
public final class TraceWriter {

    /** Duration of the marker slices that IPI arrows attach to, in microseconds. */
    private static final double MARK_US = 0.001;

    private static final com.fasterxml.jackson.databind.ObjectMapper QUOTER =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private TraceWriter() {
    }

    /** Writes the trace of {@code r} to {@code file}; returns the number of events written. */
    public static long write(RunReport r, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            if (file.getFileName().toString().endsWith(".txt")) {
                return writeText(r, w);
            }
            return writeChrome(r, w);
        }
    }

    /** The captured events of log {@code i}: spooled to a file during the run, or held by the log. */
    private static Iterable<EventLog.Event> events(RunReport r, int i) {
        return r.traceSpool() != null ? r.traceSpool().events(i) : r.eventLogs().get(i).events();
    }

    /** The number of event logs: one per CPU in parallel mode, one in deterministic mode. */
    private static int logs(RunReport r) {
        return r.traceSpool() != null ? r.traceSpool().logs() : r.eventLogs().size();
    }

    private static long writeText(RunReport r, Writer w) throws IOException {
        w.write(String.format(Locale.ROOT, "# l4smp trace: scenario %s, %d CPUs, %s, trace hash %s, %d events%n",
                r.scenario(), r.cpus(), r.seed() == null ? "parallel (one log per CPU, each in its order)"
                        : "deterministic, seed " + r.seed() + " (one log in execution order)",
                r.traceHashHex(), r.traceEvents()));
        w.write("# columns: cpu, time (simulated cycles at " + r.costModel().clockMhz() + " MHz), event, a, b\n");
        w.write("# events: ipi-send a=target b=vector; ipi-take a=sender b=vector; trap a=thread b=system call; "
                + "switch a=from b=to thread; ipc a=receiver b=sender; ipc-error a=thread b=error; "
                + "thread-end a=thread b=1 if it threw\n");
        long n = 0;
        for (int i = 0; i < logs(r); i++) {
            for (EventLog.Event e : events(r, i)) {
                w.write(e.cpu() + " " + e.time() + " " + name(e.kind()) + " " + e.a() + " " + e.b() + "\n");
                n++;
            }
        }
        if (n < r.traceEvents()) {
            w.write("# truncated: the first " + n + " of " + r.traceEvents() + " events (--trace-limit); the hash covers all\n");
        }
        if (!r.threadNames().isEmpty()) {
            StringBuilder sb = new StringBuilder("# threads:");
            r.threadNames().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> sb.append(' ').append(e.getKey()).append('=').append(e.getValue()));
            w.write(sb.append('\n').toString());
        }
        return n;
    }

    private static long writeChrome(RunReport r, Writer w) throws IOException {
        double mhz = r.costModel().clockMhz();
        ChromeOut out = new ChromeOut(w);
        w.write("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"scenario\":");
        w.write(quote(r.scenario()));
        long captured = 0;
        for (EventLog log : r.eventLogs()) {
            captured += log.captured();
        }
        boolean truncated = captured < r.traceEvents();
        w.write(",\"time\":\"simulated microseconds at " + r.costModel().clockMhz() + " MHz\",\"trace_hash\":\""
                + r.traceHashHex() + "\",\"events_total\":" + r.traceEvents() + ",\"events_written\":" + captured
                + ",\"truncated\":" + truncated + "},\"traceEvents\":[\n");
        out.event("{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,\"args\":{\"name\":"
                + quote("l4smp " + r.scenario()) + "}}");
        for (int c = 0; c < r.cpus(); c++) {
            out.event("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":0,\"tid\":" + c + ",\"args\":{\"name\":\"cpu " + c
                    + "\"}}");
            out.event("{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":0,\"tid\":" + c
                    + ",\"args\":{\"sort_index\":" + c + "}}");
        }
        String[] openName = new String[r.cpus()];
        long[] openStart = new long[r.cpus()];
        Map<String, Integer> sends = new HashMap<>();
        Map<String, Integer> takes = new HashMap<>();
        long n = 0;
        long lastTime = 0;
        for (int i = 0; i < logs(r); i++) {
            for (EventLog.Event e : events(r, i)) {
                n++;
                lastTime = Math.max(lastTime, e.time());
                int cpu = e.cpu();
                long t = e.time();
                switch (e.kind()) {
                    case EventKind.IDLE -> {
                        close(out, openName, openStart, cpu, t, mhz);
                        openName[cpu] = "idle";
                        openStart[cpu] = t;
                    }
                    case EventKind.WAKE -> close(out, openName, openStart, cpu, t, mhz);
                    case Syscall.EV_SWITCH -> {
                        close(out, openName, openStart, cpu, t, mhz);
                        openName[cpu] = r.threadName(e.b());
                        openStart[cpu] = t;
                    }
                    case Syscall.EV_THREAD_END -> {
                        close(out, openName, openStart, cpu, t, mhz);
                        out.instant(cpu, t, mhz, r.threadName(e.a()) + " ended" + (e.b() != 0 ? " (threw)" : ""));
                    }
                    case EventKind.IPI_SEND -> {
                        String key = cpu + ">" + e.a() + "/" + e.b();
                        int k = sends.merge(key, 1, Integer::sum);
                        out.slice(cpu, t, MARK_US * mhz, mhz, "ipi-send to cpu " + e.a() + " vector 0x"
                                + Long.toHexString(e.b()));
                        out.flow("s", cpu, t, mhz, key + "#" + k);
                    }
                    case EventKind.IPI_TAKE -> {
                        String key = e.a() + ">" + cpu + "/" + e.b();
                        int k = takes.merge(key, 1, Integer::sum);
                        out.slice(cpu, t, MARK_US * mhz, mhz, "ipi-take from cpu " + e.a() + " vector 0x"
                                + Long.toHexString(e.b()));
                        out.flow("f", cpu, t, mhz, key + "#" + k);
                    }
                    default -> out.instant(cpu, t, mhz, describe(r, e));
                }
            }
        }
        if (truncated) {
            for (int c = 0; c < r.cpus(); c++) {
                out.instant(c, lastTime, mhz, "trace truncated here (--trace-limit): " + captured + " of "
                        + r.traceEvents() + " events written");
            }
        }
        long end = truncated ? lastTime : r.simulatedCycles();
        for (int c = 0; c < r.cpus(); c++) {
            close(out, openName, openStart, c, Math.max(end, openStart[c]), mhz);
        }
        if (!r.ok()) {
            // The failure point: a global marker at the end of the run, where the machine stopped
            // (a deadlock is detected there), and one on each CPU's track at its last clock.
            String why = r.outcome().failure() != null ? r.outcome().failure()
                    : String.join("; ", r.kernelFailures());
            out.event("{\"name\":" + quote("FAILURE: " + why) + ",\"ph\":\"i\",\"s\":\"g\",\"pid\":0,\"tid\":0,\"ts\":"
                    + ChromeOut.us(end, mhz) + "}");
            for (int c = 0; c < r.cpus(); c++) {
                out.instant(c, r.clocks()[c], mhz, "failure point: cpu " + c + " stopped here");
            }
        }
        w.write("\n]}\n");
        return n;
    }

    private static void close(ChromeOut out, String[] openName, long[] openStart, int cpu, long t, double mhz)
            throws IOException {
        if (openName[cpu] != null) {
            out.slice(cpu, openStart[cpu], Math.max(0, t - openStart[cpu]), mhz, openName[cpu]);
            openName[cpu] = null;
        }
    }

    private static String describe(RunReport r, EventLog.Event e) {
        return switch (e.kind()) {
            case Syscall.EV_TRAP -> "trap " + Syscall.name((int) e.b()) + " by " + r.threadName(e.a());
            case Syscall.EV_IPC -> "ipc to " + r.threadName(e.a()) + " from " + r.threadName(e.b());
            case Syscall.EV_IPC_XCPU -> "cross-processor ipc to " + r.threadName(e.a()) + " from "
                    + r.threadName(Syscall.xcpuSenderNumber(e.b())) + " on cpu" + Syscall.xcpuSenderCpu(e.b());
            case Syscall.EV_IPC_ERROR -> "ipc error of " + r.threadName(e.a()) + " (0x" + Long.toHexString(e.b()) + ")";
            default -> name(e.kind()) + " " + e.a() + " " + e.b();
        };
    }

    /** The name of an event kind, the kernel's included. */
    static String name(int kind) {
        return switch (kind) {
            case Syscall.EV_TRAP -> "trap";
            case Syscall.EV_SWITCH -> "switch";
            case Syscall.EV_IPC -> "ipc";
            case Syscall.EV_IPC_XCPU -> "ipc-xcpu";
            case Syscall.EV_IPC_ERROR -> "ipc-error";
            case Syscall.EV_THREAD_END -> "thread-end";
            default -> EventKind.name(kind);
        };
    }

    private static String quote(String s) {
        try {
            return QUOTER.writeValueAsString(s);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Streams trace events, comma-separated. */
    private static final class ChromeOut {
        private final Writer w;
        private boolean first = true;

        ChromeOut(Writer w) {
            this.w = w;
        }

        void event(String json) throws IOException {
            if (!first) {
                w.write(",\n");
            }
            first = false;
            w.write(json);
        }

        void slice(int cpu, long start, double durCycles, double mhz, String name) throws IOException {
            event("{\"name\":" + quote(name) + ",\"ph\":\"X\",\"pid\":0,\"tid\":" + cpu + ",\"ts\":" + us(start, mhz)
                    + ",\"dur\":" + String.format(Locale.ROOT, "%.4f", durCycles / mhz) + "}");
        }

        void instant(int cpu, long t, double mhz, String name) throws IOException {
            event("{\"name\":" + quote(name) + ",\"ph\":\"i\",\"s\":\"t\",\"pid\":0,\"tid\":" + cpu + ",\"ts\":"
                    + us(t, mhz) + "}");
        }

        void flow(String phase, int cpu, long t, double mhz, String id) throws IOException {
            event("{\"name\":\"ipi\",\"cat\":\"ipi\",\"ph\":\"" + phase + "\",\"id\":" + quote(id)
                    + ("f".equals(phase) ? ",\"bp\":\"e\"" : "") + ",\"pid\":0,\"tid\":" + cpu + ",\"ts\":"
                    + us(t, mhz) + "}");
        }

        private static String us(long cycles, double mhz) {
            return String.format(Locale.ROOT, "%.4f", cycles / mhz);
        }
    }
}
