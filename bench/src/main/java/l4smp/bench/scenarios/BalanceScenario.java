package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A user-level scheduler that places communicating partners on one processor (thesis 6.2.2,
 * 6.2.3, design decisions 3 and 4): the kernel does no implicit mobility on IPC, but it detects
 * a cross-processor IPC fast, and a scheduling server decides.
 *
 * <p>{@code --pairs} clients call their own servers; client i starts on processor index 2i and
 * its server on 2i+1 (mod the CPUs), so every pair starts split. With {@code --balance on} a
 * client calls with the XP-abort bit (send tag bit 12); a call that would cross processors fails
 * with error 7 before any transfer and returns the server's processor number (the UTCB's partner
 * processor). The client then asks the scheduler, a thread with a high MCP on processor 1, to
 * put the two together, naming threads rather than processors (the protocol 6.2.3 prefers):
 * with {@code --move partner} (default) "pull my partner to my processor", and the scheduler
 * migrates the server; with {@code --move caller} "transfer me to my partner's processor" (the
 * number the abort returned), and the scheduler migrates the client, which waits in its call
 * to the scheduler meanwhile (the reply follows it). The client then calls again, locally. With {@code --balance off} the clients call plainly and every call
 * crosses (the result tag's bit 11 says so). Op = one completed call, its latency including any
 * abort and migration it needed. Results: calls that crossed, aborted calls, migrations, mean
 * cycles per round trip; compare a run with {@code --balance on} against one with {@code off}.
 */
public final class BalanceScenario implements Scenario {

    /** The scheduler's request label: "migrate the thread in MR 1 to processor MR 2". */
    static final int PULL = 0x51;

    @Override
    public String name() {
        return "balance";
    }

    @Override
    public String description() {
        return "a user-level scheduler pulls XP-IPC partners onto one CPU on detection (--balance on|off)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("pairs", 2, 1, 1_000, "client/server pairs, each started split over two CPUs"),
                OptionSpec.booleanOption("balance", true,
                        "detect cross-processor calls (send tag bit 12) and let the scheduler pull the partner over"),
                OptionSpec.longOption("work", 200, 0, 10_000_000, "cycles a server computes per request"),
                OptionSpec.choiceOption("move", "partner", List.of("partner", "caller"),
                        "on an abort, pull the partner to the caller's processor or move the caller to the partner's"));
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
        Kernel kernel = context.kernel();
        int pairs = context.options().getInt("pairs");
        boolean balance = context.options().getBoolean("balance");
        long work = context.options().getLong("work");
        boolean moveCaller = context.options().getString("move").equals("caller");
        int cpus = context.processors();
        AtomicLong crossed = new AtomicLong();
        AtomicLong aborted = new AtomicLong();
        AtomicLong migrations = new AtomicLong();
        AtomicLong cycles = new AtomicLong();
        AtomicLong calls = new AtomicLong();
        AtomicLong finished = new AtomicLong();
        // The scheduler: MCP 250 (its priority) lets it schedule the servers (priority 100).
        ThreadId scheduler = kernel.createThread(new ThreadSpec("scheduler", 0, 250, true, () -> {
            int tag = L4.waitAny();
            while (true) {
                int result = -1;
                if (!MsgTag.isError(tag) && MsgTag.label(tag) == PULL) {
                    ThreadId thread = ThreadId.fromRaw((int) L4.mr(1));
                    int processor = (int) L4.mr(2);
                    result = L4.migrate(thread, processor);
                    if (result >= 0) {
                        migrations.incrementAndGet();
                    }
                }
                L4.setMr(1, result < 0 ? L4.errorCode() : 0);
                tag = L4.replyWait(L4.from(), MsgTag.make(PULL, 1));
            }
        }));
        for (int i = 0; i < pairs; i++) {
            int clientCpu = (2 * i) % cpus;
            int serverCpu = (2 * i + 1) % cpus;
            ThreadId server = kernel.createThread(ThreadSpec.daemon("server" + i, serverCpu, () -> {
                L4.waitAny();
                while (true) {
                    L4.compute(work);
                    L4.setMr(1, L4.mr(1) + 1);
                    L4.replyWait(L4.from(), MsgTag.make(0, 1));
                }
            }));
            long share = context.ops() / pairs + (i < context.ops() % pairs ? 1 : 0);
            SingleWriterLatencyRecorder recorder = context.recorder("client" + i);
            int me = i;
            kernel.createThread(ThreadSpec.of("client" + i, clientCpu, () -> {
                for (long done = 0; done < share && !context.timeUp(); done++) {
                    long c0 = L4.clock();
                    long n0 = System.nanoTime();
                    L4.setMr(1, done);
                    int tag = L4.call(server, balance ? L4.abortIfCross(MsgTag.make(me, 1)) : MsgTag.make(me, 1));
                    if (MsgTag.isError(tag) && L4.errorCode() == IpcError.word(IpcError.ABORTED, IpcError.PHASE_SEND)) {
                        aborted.incrementAndGet();
                        // Detected before any transfer: have the partner pulled over, then call again.
                        int partnerProcessor = L4.xpPartnerProcessor();
                        int here = L4.processorNumber();
                        if (partnerProcessor == here) {
                            throw new IllegalStateException("client" + me + ": an XP abort names its own processor " + here);
                        }
                        L4.setMr(1, moveCaller ? L4.myself().raw() : server.raw());
                        L4.setMr(2, moveCaller ? partnerProcessor : here);
                        int st = L4.call(scheduler, MsgTag.make(PULL, 2));
                        if (MsgTag.isError(st) || L4.mr(1) != 0) {
                            throw new IllegalStateException("client" + me + ": the scheduler could not join it with server" + me
                                    + ": " + (MsgTag.isError(st) ? IpcError.describe(L4.errorCode()) : "error " + L4.mr(1)));
                        }
                        if (moveCaller && L4.processorNumber() != partnerProcessor) {
                            throw new IllegalStateException("client" + me + ": moved to processor " + L4.processorNumber()
                                    + ", not to its partner's " + partnerProcessor);
                        }
                        L4.setMr(1, done);
                        tag = L4.call(server, MsgTag.make(me, 1)); // together now: a local call
                    }
                    if (MsgTag.isError(tag)) {
                        throw new IllegalStateException("client" + me + " call " + done + ": " + IpcError.describe(L4.errorCode()));
                    }
                    if (L4.mr(1) != done + 1) {
                        throw new IllegalStateException("client" + me + " call " + done + " got " + L4.mr(1));
                    }
                    if (MsgTag.crossedProcessors(tag)) {
                        crossed.incrementAndGet();
                    }
                    long dt = L4.clock() - c0;
                    recorder.record(dt, System.nanoTime() - n0);
                    cycles.addAndGet(dt);
                    calls.incrementAndGet();
                }
                if (finished.incrementAndGet() == pairs) {
                    context.putResult("placement", !balance ? "split (unbalanced)"
                            : moveCaller ? "balanced: callers moved to their partners" : "balanced: partners pulled to their callers");
                    context.putResult("calls", calls.get());
                    context.putResult("calls_crossed", crossed.get());
                    context.putResult("calls_aborted", aborted.get());
                    context.putResult("migrations", migrations.get());
                    context.putResult("mean_cycles_per_round_trip", calls.get() == 0 ? 0 : cycles.get() / calls.get());
                }
            }));
        }
    }
}
