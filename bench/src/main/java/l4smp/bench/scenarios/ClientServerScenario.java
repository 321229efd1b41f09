package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;

import java.util.List;

/**
 * N clients call one server, which answers with reply-and-wait (send timeout zero: a client
 * that stopped listening loses its reply, thesis 8.3.1). Each client's call is one operation;
 * the server computes {@code --work} cycles per request. The server runs on CPU 0; client i on
 * CPU {@code i mod M} of the machine's M CPUs ({@code --cpus M}): with M &gt; 1 most calls cross
 * processors (thesis 8.3.5). Latencies are recorded per CPU ({@code clients-cpuN}).
 */
public final class ClientServerScenario implements Scenario {

    @Override
    public String name() {
        return "client-server";
    }

    @Override
    public String description() {
        return "N clients call one server (reply-and-wait with send timeout zero)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("clients", 4, 1, Kernel.MAX_USER_THREADS - 1,
                        "number of client threads (up to the kernel's thread limit, the server apart)"),
                OptionSpec.longOption("work", 0, 0, 100_000_000, "server compute cycles per request"),
                OptionSpec.longOption("words", 2, 0, 63, "untyped words per request and reply"));
    }

    /**
     * More clients than the default kernel region holds (about 39,000 TCBs) get a larger
     * simulated memory, whose kernel region is a sixteenth of it (frames are allocated on first
     * touch: only the TCBs' lines cost host memory).
     */
    @Override
    public long memoryBytes(ScenarioOptions options) {
        long clients = options.getLong("clients");
        if (clients < 30_000) {
            return 0;
        }
        return clients < 140_000 ? 1L << 30 : 2L << 30;
    }

    @Override
    public void setup(ScenarioContext context) {
        Kernel kernel = context.kernel();
        int clients = context.options().getInt("clients");
        long work = context.options().getLong("work");
        int words = context.options().getInt("words");
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                if (MsgTag.isError(tag)) {
                    tag = L4.waitAny();
                    continue;
                }
                ThreadId client = L4.from();
                if (work > 0) {
                    L4.compute(work);
                }
                for (int i = 1; i <= words; i++) {
                    L4.setMr(i, L4.mr(i) + 1);
                }
                tag = L4.replyWait(client, MsgTag.make(MsgTag.label(tag), words));
            }
        }));
        // One latency recorder per CPU, shared by that CPU's clients: they all run on the CPU's
        // host thread (no client migrates), so each recorder keeps a single writer; a recorder per
        // client cost two histograms (tens of KiB) per thread, the most of the host heap at
        // 10^4 - 10^5 clients.
        int cpus = context.processors();
        SingleWriterLatencyRecorder[] recorders = new SingleWriterLatencyRecorder[Math.min(cpus, clients)];
        for (int i = 0; i < recorders.length; i++) {
            recorders[i] = context.recorder("clients-cpu" + i);
        }
        for (int c = 0; c < clients; c++) {
            long share = context.ops() / clients + (c < context.ops() % clients ? 1 : 0);
            SingleWriterLatencyRecorder recorder = recorders[c % cpus];
            int label = c & 0xFFFF; // a message label has 16 bits (X.2); the server only echoes it
            kernel.createThread(ThreadSpec.of("client" + c, c % cpus, () -> {
                long done = 0;
                while (done < share && !context.timeUp()) {
                    for (int i = 1; i <= words; i++) {
                        L4.setMr(i, done * 64 + i);
                    }
                    long c0 = L4.clock();
                    long n0 = System.nanoTime();
                    int tag = L4.call(server, MsgTag.make(label, words));
                    long n1 = System.nanoTime();
                    long c1 = L4.clock();
                    if (MsgTag.isError(tag)) {
                        throw new IllegalStateException("call failed: " + IpcError.describe(L4.errorCode()));
                    }
                    for (int i = 1; i <= words; i++) {
                        if (L4.mr(i) != done * 64 + i + 1) {
                            throw new IllegalStateException("client" + label + " got a wrong reply word " + i);
                        }
                    }
                    recorder.record(c1 - c0, n1 - n0);
                    done++;
                }
            }));
        }
    }
}
