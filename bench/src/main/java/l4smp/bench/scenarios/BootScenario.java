package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.boot.SmpBoot;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SMP boot of thesis 8.2 ({@link SmpBoot}): the bootstrap processor starts the others by
 * INIT and STARTUP IPIs, each takes its number by fetch-and-add, barriers; a CPU that does not
 * answer ({@code --fail-cpu N}) is masked out and the numbering compacted. Then, as in the
 * thesis, one booter thread on processor 1 brings the rest up: it reads the highest processor
 * number k from the kernel info page, creates a server and migrates it to each other processor
 * (the application processors idle until a thread is migrated to them) and calls them in turn,
 * each call a cross-processor round trip; a server answers with its processor number, which the
 * booter checks. Op = one round trip. Results: the APs found, the masked CPUs, the KIP's highest
 * processor number, the numbering, the boot's cycles in total and per AP, round trips per
 * processor.
 */
public final class BootScenario implements Scenario {

    @Override
    public String name() {
        return "boot";
    }

    @Override
    public String description() {
        return "SMP boot (8.2): startup IPIs, numbering by fetch-and-add, masked CPUs (--fail-cpu); then a ping-pong over all live CPUs";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("ap-timeout", SmpBoot.DEFAULT_AP_TIMEOUT_CYCLES, 1, 1_000_000_000L,
                        "cycles the bootstrap processor waits for an AP to answer its startup IPI"),
                OptionSpec.longOption("ap-init", SmpBoot.DEFAULT_AP_INIT_CYCLES, 0, 100_000_000L,
                        "cycles of an AP's startup code (real to protected mode, local tables; an estimate)"));
    }

    @Override
    public int defaultCpus() {
        return 4;
    }

    @Override
    public void setup(ScenarioContext context) {
        Kernel kernel = context.kernel();
        SmpBoot boot = kernel.smpBoot();
        boot.setApTimeoutCycles(context.options().getLong("ap-timeout"));
        boot.setApInitCycles((int) context.options().getLong("ap-init"));
        SingleWriterLatencyRecorder recorder = context.recorder("xp-round-trip");
        kernel.createThread(new ThreadSpec("booter", 0, 200, false, () -> {
            int k = L4.kernelInfo().highestProcessorNumber(); // processors that came up, either ABI
            context.putResult("aps_found", k - 1);
            context.putResult("aps_masked", boot.maskedCpus());
            context.putResult("kip_highest_processor", L4.processorOfIndex(k - 1)); // k (thesis) or k - 1 (X.2)
            context.putResult("numbering", numbering(boot, k));
            context.putResult("boot_cycles", boot.bootCycles());
            context.putResult("ap_boot_cycles", apCycles(boot));
            if (k == 1) {
                context.putResult("ping_pong", "none: only the bootstrap processor came up");
                context.degraded("no application processor came up (masked: " + boot.maskedCpus()
                        + "): the boot ran, the round trips did not (0 operations)");
                return;
            }
            List<ThreadId> servers = new ArrayList<>();
            for (int p = 2; p <= k; p++) {
                ThreadId server = L4.createThread("server" + p, 100, true, BootScenario::serve);
                if (L4.migrate(server, L4.processorOfIndex(p - 1)) < 0) {
                    throw new IllegalStateException("migrating server" + p + " to processor " + p + " failed: error "
                            + L4.errorCode());
                }
                servers.add(server);
            }
            long[] perProcessor = new long[k + 1];
            for (long i = 0; !context.shouldStop(i); i++) {
                int p = 2 + (int) (i % (k - 1));
                long c0 = L4.clock();
                long n0 = System.nanoTime();
                int tag = L4.call(servers.get(p - 2), MsgTag.make(0, 0));
                if (MsgTag.isError(tag)) {
                    throw new IllegalStateException("call to processor " + p + " failed: " + IpcError.describe(L4.errorCode()));
                }
                if (L4.mr(1) != L4.processorOfIndex(p - 1)) {
                    throw new IllegalStateException("the server migrated to processor " + p + " runs on processor " + L4.mr(1));
                }
                recorder.record(L4.clock() - c0, System.nanoTime() - n0);
                perProcessor[p]++;
            }
            Map<String, Long> trips = new LinkedHashMap<>();
            for (int p = 2; p <= k; p++) {
                trips.put(Integer.toString(L4.processorOfIndex(p - 1)), perProcessor[p]);
            }
            context.putResult("round_trips_by_processor", trips);
        }));
    }

    /** A server: answers each call with its processor number in MR 1. */
    private static void serve() {
        L4.waitAny();
        while (true) {
            L4.setMr(1, L4.processorNumber());
            L4.replyWait(L4.from(), MsgTag.make(0, 1));
        }
    }

    /** Processor number (the ABI's) to the physical CPU it names, for the processors that came up. */
    private static Map<String, String> numbering(SmpBoot boot, int k) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int l = 0; l < k; l++) {
            map.put(Integer.toString(L4.processorOfIndex(l)), "cpu" + boot.physicalOfPlain(l));
        }
        return map;
    }

    /** Per AP (physical CPU), the bootstrap processor's cycles from its INIT IPI to the answer or the timeout. */
    private static Map<String, Long> apCycles(SmpBoot boot) {
        Map<String, Long> map = new LinkedHashMap<>();
        long[] cycles = boot.apBootCycles();
        for (int p = 0; p < cycles.length; p++) {
            if (cycles[p] >= 0) {
                map.put("cpu" + p, cycles[p]);
            }
        }
        return map;
    }
}
