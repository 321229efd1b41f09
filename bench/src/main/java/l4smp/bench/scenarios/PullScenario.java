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

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Migrating the migrator (thesis 8.7.4, implementation decision 4): no thread can migrate itself
 * (the kernel ignores that part of the request), so a scheduling server that wants to move uses
 * a second thread, its migrate thread: "When the first wants to be migrated, it sends the request
 * to the migrate thread and afterwards pulls this thread to its new processor."
 *
 * <p>The scheduler S and its migrate thread M start on processor 1. S first asks the kernel to
 * migrate itself and checks that the request was ignored. Then, per operation, S moves to the
 * next processor (1..k round robin, k from the kernel info page): it calls M with "migrate me to
 * p"; M migrates S (S waits in its call meanwhile; the reply follows it to p); S, now on p,
 * pulls M to p with {@code schedule}; then S asks M where it runs, a call that must stay on the
 * processor (no cross-processor bit). Op = one move of the pair, from S's request to the end of
 * the pull. Results: moves, the self-migration check, moves per processor, mean cycles per move.
 */
public final class PullScenario implements Scenario {

    static final int MIGRATE_ME = 1;
    static final int WHERE = 2;

    @Override
    public String name() {
        return "pull";
    }

    @Override
    public String description() {
        return "migrating the migrator (8.7.4): a scheduler moves by asking its migrate thread, then pulls it over";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.longOption("work", 1_000, 0, 10_000_000,
                "cycles the scheduler computes on each processor before it moves on"));
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
        long work = context.options().getLong("work");
        ThreadId migrator = kernel.createThread(new ThreadSpec("migrate-thread", 0, 200, true, () -> {
            int tag = L4.waitAny();
            while (true) {
                ThreadId client = L4.globalId(L4.from()); // X.2 ABI: from() is a local id here
                int label = MsgTag.label(tag);
                long answer;
                if (MsgTag.isError(tag)) {
                    tag = L4.waitAny();
                    continue;
                } else if (label == MIGRATE_ME) {
                    // 8.7.4: the migrate thread moves the scheduler, which cannot move itself.
                    answer = L4.migrate(client, (int) L4.mr(1)) < 0 ? L4.errorCode() : 0;
                } else if (label == WHERE) {
                    answer = L4.processorNumber();
                } else {
                    answer = -1;
                }
                L4.setMr(1, answer);
                tag = L4.replyWait(client, MsgTag.make(label, 1));
            }
        }));
        // Both may schedule the other: MCP 255 against priority 200.
        kernel.setMaximumControlledPriority(migrator, 255);
        SingleWriterLatencyRecorder recorder = context.recorder("move");
        ThreadId scheduler = kernel.createThread(new ThreadSpec("scheduler", 0, 200, false, () -> {
            int k = L4.kernelInfo().highestProcessorNumber(); // processors that came up, either ABI
            // Implementation decision 4: a thread's request to migrate itself is ignored.
            int before = L4.processorNumber();
            L4.migrate(L4.myself(), L4.processorOfIndex((L4.indexOfProcessor(before) + 1) % k));
            boolean ignored = L4.processorNumber() == before;
            context.putResult("self_migration_ignored", ignored);
            if (!ignored) {
                throw new IllegalStateException("the scheduler migrated itself to processor " + L4.processorNumber());
            }
            long[] visits = new long[k + 1];
            long total = 0;
            long moves = 0;
            for (long i = 0; !context.shouldStop(i); i++) {
                int target = L4.processorOfIndex((L4.indexOfProcessor(L4.processorNumber()) + 1) % k);
                long c0 = L4.clock();
                long n0 = System.nanoTime();
                L4.setMr(1, target);
                int tag = L4.call(migrator, MsgTag.make(MIGRATE_ME, 1));
                check(tag, "migrate-me request");
                if (L4.mr(1) != 0 || L4.processorNumber() != target) {
                    throw new IllegalStateException("move " + i + ": asked for processor " + target + ", on "
                            + L4.processorNumber() + " (answer " + L4.mr(1) + ")");
                }
                if (L4.migrate(migrator, target) < 0) { // pull the migrate thread over
                    throw new IllegalStateException("move " + i + ": pulling the migrate thread failed: error "
                            + L4.errorCode());
                }
                long dt = L4.clock() - c0;
                recorder.record(dt, System.nanoTime() - n0);
                total += dt;
                moves++;
                visits[L4.indexOfProcessor(target)]++;
                tag = L4.call(migrator, MsgTag.make(WHERE, 0));
                check(tag, "where request");
                if (L4.mr(1) != target || MsgTag.crossedProcessors(tag)) {
                    throw new IllegalStateException("move " + i + ": the migrate thread is on processor " + L4.mr(1)
                            + ", not pulled to " + target + (MsgTag.crossedProcessors(tag) ? " (the call crossed)" : ""));
                }
                L4.compute(work);
            }
            Map<String, Long> byProcessor = new LinkedHashMap<>();
            for (int i = 0; i < k; i++) {
                byProcessor.put(Integer.toString(L4.processorOfIndex(i)), visits[i]);
            }
            context.putResult("moves", moves);
            context.putResult("moves_to_processor", byProcessor);
            context.putResult("mean_cycles_per_move", moves == 0 ? 0 : total / moves);
        }));
        kernel.setMaximumControlledPriority(scheduler, 255);
    }

    private static void check(int tag, String what) {
        if (MsgTag.isError(tag)) {
            throw new IllegalStateException(what + " failed: " + IpcError.describe(L4.errorCode()));
        }
    }
}
