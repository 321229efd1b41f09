package l4smp.bench.scenarios;

import l4smp.bench.report.RunReport;
import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelInvariants;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Migration against IPC in flight (thesis 8.5, 8.7): clients on every worker CPU call servers
 * (call / reply-and-wait with send timeout 0) while a user-level load balancer moves clients and
 * servers, which are always in some phase of an IPC, to random processors with
 * {@code L4.schedule}, one every {@code --period} cycles. The balancer runs on a CPU of its own
 * ({@code --balancer own}, the last CPU) or beside the workers on CPU 0 ({@code shared}).
 *
 * <p>One operation is one call, its latency the round trip. Checked: every request is received
 * by a server exactly once and in its client's order, and answered with its own reply (requests
 * sent = received = replies received); at the end, with the machine stopped, the kernel's
 * invariants ({@link KernelInvariants}: every thread in the structures of exactly its own CPU,
 * none lost from the ready lists). A lost message stalls its client: the balancer notices that
 * no reply arrived for {@code --stall} cycles, reports the stall and stops the run.
 */
public final class MigrationStormScenario implements Scenario {

    private static final int CLIENT_PRIORITY = 100;
    private static final int SERVER_PRIORITY = 100;
    private static final int BALANCER_PRIORITY = 200;
    /** Reply = request + this (a server's answer names the request it answers). */
    private static final long REPLY_OFFSET = 1L << 40;

    @Override
    public String name() {
        return "migration-storm";
    }

    @Override
    public String description() {
        return "clients call servers while a load balancer migrates them with schedule: messages sent = received, invariants";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("clients", 8, 1, 10_000, "client threads, spread over the worker CPUs"),
                OptionSpec.longOption("servers", 2, 1, 1_000, "server threads (reply-and-wait, send timeout 0), spread over the worker CPUs"),
                OptionSpec.longOption("period", 5_000, 100, 1_000_000_000L, "cycles between two migrations of the balancer"),
                OptionSpec.choiceOption("balancer", "own", List.of("own", "shared"),
                        "the balancer on a CPU of its own (the last) or on CPU 0 beside the workers"),
                OptionSpec.longOption("stall", 50_000_000, 1_000_000, Long.MAX_VALUE / 4,
                        "cycles without any reply after which the run is stopped as stalled (a lost message)"));
    }

    @Override
    public int minCpus() {
        return 2;
    }

    @Override
    public int defaultCpus() {
        return 4;
    }

    @Override
    public void setup(ScenarioContext context) {
        int cpus = context.processors();
        int clients = context.options().getInt("clients");
        int servers = context.options().getInt("servers");
        long period = context.options().getLong("period");
        long stall = context.options().getLong("stall");
        boolean own = context.options().getString("balancer").equals("own");
        if (cpus < 2) {
            throw new IllegalArgumentException("option --cpus: migration-storm needs at least 2 CPUs, got " + cpus);
        }
        int workerCpus = own ? cpus - 1 : cpus;
        int balancerCpu = own ? cpus - 1 : 0;
        Kernel kernel = context.kernel();

        AtomicLong sent = new AtomicLong();
        AtomicLong received = new AtomicLong();
        AtomicLong replies = new AtomicLong();
        AtomicLong outOfOrder = new AtomicLong();
        AtomicLong wrongReplies = new AtomicLong();
        AtomicLong callErrors = new AtomicLong();
        AtomicLong migrations = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicInteger finished = new AtomicInteger();
        // The next request index each client's server expects (a client's calls are sequential).
        AtomicLongArray expected = new AtomicLongArray(clients);

        ThreadId[] serverIds = new ThreadId[servers];
        for (int s = 0; s < servers; s++) {
            serverIds[s] = kernel.createThread(new ThreadSpec("server" + s, (s + 1) % workerCpus, SERVER_PRIORITY, true, () -> {
                int tag = L4.waitAny();
                while (true) {
                    if (MsgTag.isError(tag)) {
                        tag = L4.waitAny(); // a failed reply: the client learns nothing, and stalls (reported)
                        continue;
                    }
                    long request = L4.mr(1);
                    int client = (int) (request >>> 32);
                    long index = request & 0xFFFF_FFFFL;
                    received.incrementAndGet();
                    if (client < 0 || client >= clients || !expected.compareAndSet(client, index, index + 1)) {
                        outOfOrder.incrementAndGet(); // a duplicate, a skipped request, or garbage
                    }
                    L4.setMr(1, request + REPLY_OFFSET);
                    tag = L4.replyWait(L4.from(), MsgTag.make(0, 1));
                }
            }));
        }
        ThreadId[] clientIds = new ThreadId[clients];
        for (int c = 0; c < clients; c++) {
            long share = context.ops() / clients + (c < context.ops() % clients ? 1 : 0);
            SingleWriterLatencyRecorder recorder = context.recorder("client" + c);
            long me = c;
            clientIds[c] = kernel.createThread(new ThreadSpec("client" + c, c % workerCpus, CLIENT_PRIORITY, false, () -> {
                try {
                    for (long i = 0; i < share && !context.timeUp(); i++) {
                        long request = me << 32 | i;
                        long c0 = L4.clock();
                        long n0 = System.nanoTime();
                        L4.setMr(1, request);
                        sent.incrementAndGet();
                        int tag = L4.call(serverIds[(int) ((me + i) % servers)], MsgTag.make(1, 1));
                        if (MsgTag.isError(tag)) {
                            callErrors.incrementAndGet();
                            throw new IllegalStateException("client" + me + " call " + i + " failed: "
                                    + IpcError.describe(L4.errorCode()));
                        }
                        replies.incrementAndGet();
                        if (L4.mr(1) != request + REPLY_OFFSET) {
                            wrongReplies.incrementAndGet();
                        }
                        recorder.record(L4.clock() - c0, System.nanoTime() - n0);
                    }
                } finally {
                    finished.incrementAndGet();
                }
            }));
        }
        int victims = clients + servers;
        kernel.createThread(new ThreadSpec("balancer", balancerCpu, BALANCER_PRIORITY, true, () -> {
            long x = 0x9E3779B97F4A7C15L;
            long lastReplies = -1;
            long lastProgress = L4.clock();
            while (finished.get() < clients) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                int pick = (int) Long.remainderUnsigned(x, victims);
                ThreadId victim = pick < clients ? clientIds[pick] : serverIds[pick - clients];
                int to = L4.processorOfIndex((int) Long.remainderUnsigned(x >>> 20, cpus));
                if (L4.migrate(victim, to) >= 0) {
                    migrations.incrementAndGet();
                } else {
                    refused.incrementAndGet(); // busy past the kernel's bound (error 2) or gone
                }
                L4.sleep(period);
                long r = replies.get();
                if (r != lastReplies) {
                    lastReplies = r;
                    lastProgress = L4.clock();
                } else if (L4.clock() - lastProgress > stall) {
                    context.fail("scenario check: no reply for " + stall + " cycles: stalled with "
                            + (clients - finished.get()) + " client(s) waiting (a lost message); "
                            + kernel.describeThreads());
                    context.machine().requestStop(RunReport.STOP_STALLED + " (migration-storm: no reply for "
                            + stall + " cycles)");
                    return;
                }
            }
        }));
        context.afterRun(() -> {
            context.putResult("requests_sent", sent.get());
            context.putResult("requests_received", received.get());
            context.putResult("replies_received", replies.get());
            context.putResult("duplicated_or_out_of_order", outOfOrder.get());
            context.putResult("wrong_replies", wrongReplies.get());
            context.putResult("migrations_done", migrations.get());
            context.putResult("migrations_refused", refused.get());
            List<String> bad = KernelInvariants.check(kernel);
            context.putResult("invariants", bad.isEmpty() ? "ok (" + kernel.liveThreads().size() + " threads checked)"
                    : bad.size() + " violated");
            if (!bad.isEmpty()) {
                context.fail("scenario check: kernel invariants violated: " + bad);
            }
            if (sent.get() != received.get() || sent.get() != replies.get()) {
                context.fail("scenario check: requests sent " + sent.get() + ", received " + received.get()
                        + ", replies received " + replies.get() + " (must be equal)");
            }
            if (outOfOrder.get() != 0 || wrongReplies.get() != 0) {
                context.fail("scenario check: " + outOfOrder.get() + " requests duplicated or out of order, "
                        + wrongReplies.get() + " wrong replies");
            }
        });
    }
}
