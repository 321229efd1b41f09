package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;

/**
 * Two L4 threads: a client on CPU 0 calls, a server answers with reply-and-wait, on the same
 * CPU ({@code --placement local}) or on CPU 1 ({@code --placement cross}: every call and every
 * reply is a cross-processor IPC through the XCPU mailboxes and proxies, thesis 8.3.5). Each
 * operation is one call/reply round trip, measured from before the client's call to after it
 * returns, in the client CPU's simulated cycles and in host nanoseconds.
 *
 * <p>{@code --pairs N} runs N such pairs side by side (spread over the CPUs, the ops shared
 * among them): the load for measuring how the emulator scales with host cores.
 */
public final class PingPongScenario implements Scenario {

    /** The label of a ping; the server answers with it plus one. */
    static final int PING = 0x50;

    @Override
    public String name() {
        return "pingpong";
    }

    @Override
    public String description() {
        return "client calls server (call / reply-and-wait) on one CPU or across CPUs (--placement), one round trip per op";
    }

    @Override
    public java.util.List<l4smp.bench.scenario.OptionSpec> options() {
        return java.util.List.of(l4smp.bench.scenario.OptionSpec.choiceOption("placement", "local",
                java.util.List.of("local", "cross"), "server on the client's CPU (local) or on the next CPU (cross; needs 2 CPUs)"),
                l4smp.bench.scenario.OptionSpec.longOption("pairs", 1, 1, 4096,
                        "independent client/server pairs: pair p on CPU p mod cpus (local), or client on CPU 2p and"
                                + " server on CPU 2p+1 mod cpus (cross); ops are shared among them (a host-scaling load)"),
                l4smp.bench.scenario.OptionSpec.booleanOption("latency", true,
                "record each round trip's latency (off: count only, for throughput measurements)"));
    }


    @Override
    public void setup(ScenarioContext context) {
        boolean cross = "cross".equals(context.options().getString("placement"));
        int cpus = context.processors();
        if (cross && cpus < 2) {
            throw new IllegalArgumentException("option --placement cross needs at least 2 CPUs (--cpus 2), got " + cpus);
        }
        int pairs = context.options().getInt("pairs");
        if (pairs > context.ops()) {
            throw new IllegalArgumentException("option --pairs " + pairs + " exceeds --ops " + context.ops()
                    + ": every pair needs at least one round trip");
        }
        Kernel kernel = context.kernel();
        boolean latency = context.options().getBoolean("latency");
        for (int p = 0; p < pairs; p++) {
            int clientCpu = cross ? (2 * p) % cpus : p % cpus;
            int serverCpu = cross ? (2 * p + 1) % cpus : clientCpu;
            if (cross && serverCpu == clientCpu) {
                serverCpu = (clientCpu + 1) % cpus; // odd CPU count: the last pair wraps onto CPU 0
            }
            String suffix = pairs == 1 ? "" : String.valueOf(p);
            // One pair keeps the historical names (client, server, round-trip).
            SingleWriterLatencyRecorder recorder = context.recorder(pairs == 1 ? "round-trip" : "pair" + p);
            long share = context.ops() / pairs + (p < context.ops() % pairs ? 1 : 0);
            ThreadId server = kernel.createThread(ThreadSpec.daemon("server" + suffix, serverCpu, PingPongScenario::serve));
            kernel.createThread(ThreadSpec.of("client" + suffix, clientCpu,
                    () -> client(context, server, share, latency, recorder)));
        }
    }

    /** One client: {@code share} round trips (or until the time is up). */
    private static void client(ScenarioContext context, ThreadId server, long share, boolean latency,
                               SingleWriterLatencyRecorder recorder) {
        long done = 0;
        if (!latency) {
            while (done < share && !context.timeUp()) {
                L4.setMr(1, done);
                int tag = L4.call(server, MsgTag.make(PING, 1));
                if (MsgTag.isError(tag) || L4.mr(1) != done + 1) {
                    throw new IllegalStateException("call to the server failed or got a wrong reply: "
                            + IpcError.describe(L4.errorCode()));
                }
                recorder.count();
                done++;
            }
            return;
        }
        while (done < share && !context.timeUp()) {
            L4.setMr(1, done);
            long c0 = L4.clock();
            long n0 = System.nanoTime();
            int tag = L4.call(server, MsgTag.make(PING, 1));
            long n1 = System.nanoTime();
            long c1 = L4.clock();
            if (MsgTag.isError(tag)) {
                throw new IllegalStateException("call to the server failed: " + IpcError.describe(L4.errorCode()));
            }
            if (L4.mr(1) != done + 1 || MsgTag.label(tag) != PING + 1) {
                throw new IllegalStateException("wrong reply " + L4.mr(1) + " " + MsgTag.toString(tag)
                        + " to ping " + done);
            }
            recorder.record(c1 - c0, n1 - n0);
            done++;
        }
    }

    /** The server: answers every ping with its word plus one. */
    static void serve() {
        int tag = L4.waitAny();
        while (true) {
            ThreadId client = L4.from();
            if (MsgTag.isError(tag)) {
                tag = L4.waitAny();
                continue;
            }
            L4.setMr(1, L4.mr(1) + 1);
            tag = L4.replyWait(client, MsgTag.make(MsgTag.label(tag) + 1, 1));
        }
    }
}
