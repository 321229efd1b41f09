package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.api.Utcb;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Cross-processor IPC detection (thesis 6.2.3, design decision 4, section 7.2): clients spread
 * over the CPUs call a server on CPU 0 with the abort bit (bit 12 of the send tag) set. A call
 * from another CPU fails before any transfer with error 7, and the client reads the server's
 * processor number from its UTCB; a call from CPU 0 goes through. With {@code --fallback on},
 * an aborted client then calls again without the bit (detection degenerates to "report after
 * the transfer", bit 11/14 of the result tag). Results: aborts, processor numbers returned,
 * calls delivered, calls reported as crossed.
 */
public final class XpDetectScenario implements Scenario {

    @Override
    public String name() {
        return "xp-detect";
    }

    @Override
    public String description() {
        return "clients ask to abort cross-processor calls (send tag bit 12): aborts, partner processor numbers";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("clients", 4, 1, 10_000, "number of client threads (client i on CPU i mod cpus)"),
                OptionSpec.booleanOption("fallback", true, "after an abort, call again without the abort bit"));
    }

    @Override
    public int defaultCpus() {
        return 2;
    }

    @Override
    public void setup(ScenarioContext context) {
        Kernel kernel = context.kernel();
        int clients = context.options().getInt("clients");
        boolean fallback = context.options().getBoolean("fallback");
        int cpus = context.processors();
        // [0] aborts, [1] delivered, [2] crossed, [3] wrong processor numbers, [4 + p] aborts naming processor p
        AtomicLongArray stats = new AtomicLongArray(4 + cpus + 1);
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                if (MsgTag.isError(tag)) {
                    tag = L4.waitAny();
                    continue;
                }
                tag = L4.replyWait(L4.from(), MsgTag.make(MsgTag.label(tag), 0));
            }
        }));
        for (int c = 0; c < clients; c++) {
            long share = context.ops() / clients + (c < context.ops() % clients ? 1 : 0);
            SingleWriterLatencyRecorder recorder = context.recorder("client" + c);
            int label = c;
            kernel.createThread(ThreadSpec.of("client" + c, c % cpus, () -> {
                long done = 0;
                while (done < share && !context.timeUp()) {
                    long c0 = L4.clock();
                    long n0 = System.nanoTime();
                    int tag = L4.call(server, L4.abortIfCross(MsgTag.make(label, 0)));
                    if (MsgTag.isError(tag)) {
                        if (L4.errorCode() != IpcError.word(IpcError.ABORTED, IpcError.PHASE_SEND)) {
                            throw new IllegalStateException("call failed: " + IpcError.describe(L4.errorCode()));
                        }
                        long p = L4.utcbRead(Utcb.XP_PARTNER_PROCESSOR_OFFSET);
                        int index = L4.indexOfProcessor((int) p); // 0..k-1 whatever the ABI
                        stats.incrementAndGet(0);
                        stats.incrementAndGet(5 + Math.max(-1, Math.min(index, cpus - 1)));
                        if (index != 0) {
                            stats.incrementAndGet(3); // the server runs on CPU 0 = processor 1 (thesis) or 0 (X.2)
                        }
                        if (fallback) {
                            tag = L4.call(server, MsgTag.make(label, 0));
                        }
                    }
                    if (!MsgTag.isError(tag)) {
                        stats.incrementAndGet(1);
                        if (MsgTag.crossedProcessors(tag)) {
                            stats.incrementAndGet(2);
                        }
                    } else if (fallback) {
                        throw new IllegalStateException("fallback call failed: " + IpcError.describe(L4.errorCode()));
                    }
                    recorder.record(L4.clock() - c0, System.nanoTime() - n0);
                    done++;
                }
                context.putResult("aborted", stats.get(0));
                context.putResult("delivered", stats.get(1));
                context.putResult("delivered_crossed", stats.get(2));
                context.putResult("wrong_processor_numbers", stats.get(3));
                // processor number (as the ABI numbers it and the abort reports it) -> aborts naming it
                Map<String, Long> byProcessor = new LinkedHashMap<>();
                for (int i = 0; i < cpus; i++) {
                    byProcessor.put(Integer.toString(L4.processorOfIndex(i)), stats.get(5 + i));
                }
                context.putResult("aborts_by_partner_processor", byProcessor);
            }));
        }
    }
}
