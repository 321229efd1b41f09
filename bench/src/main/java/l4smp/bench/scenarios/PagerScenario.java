package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.user.AnonymousPager;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.thread.ThreadId;

import java.util.List;

/**
 * Threads touch fresh memory served by a user-level pager over sigma0 (thesis 2.2): each store
 * to a page not yet mapped is a page fault, which the kernel sends to the thread's pager as an
 * IPC; the pager asks sigma0 for a free frame (a second IPC, with a map item into the pager's
 * space), maps it to the faulting thread with a map item in its reply, and the store is retried.
 * One operation is one page touched; its latency runs from the store (fault) to its completion
 * (resume).
 *
 * <p>Each of {@code --threads} clients lives in its own space and touches a region of
 * {@code --window} pages of its own; when it has touched them all it flushes its mappings
 * (unmap with the flush flag, not timed) and touches the region again: from then on the pager
 * answers with the frames it holds already (no sigma0 request), reported apart as refaults.
 *
 * <p>The clients and sigma0 run on CPU 0; the pager runs on CPU 0 ({@code --placement local}) or
 * on CPU 1 ({@code --placement cross}): then each fault is a cross-processor call to the pager
 * (8.3.5), whose reply's map item is carried out on the client's CPU, and the pager's requests to
 * sigma0 cross back (thesis 8.3.2, 8.4.2).
 */
public final class PagerScenario implements Scenario {

    private static final long BASE = 0x1000_0000L;

    @Override
    public String name() {
        return "pager";
    }

    @Override
    public String description() {
        return "threads touch fresh pages served by a user-level pager over sigma0 (fault to resume)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("threads", 2, 1, 64, "client threads (each in its own space)"),
                OptionSpec.longOption("window", 256, 1, 4096,
                        "pages a client touches before it flushes them and starts over"),
                OptionSpec.choiceOption("placement", "local", List.of("local", "cross"),
                        "the pager on the clients' CPU 0 (local) or on CPU 1 (cross; needs 2 CPUs)"));
    }

    @Override
    public void setup(ScenarioContext context) {
        Kernel kernel = context.kernel();
        Spaces spaces = kernel.spaces();
        int threads = context.options().getInt("threads");
        int window = context.options().getInt("window");
        boolean cross = "cross".equals(context.options().getString("placement"));
        if (cross && context.processors() < 2) {
            throw new IllegalArgumentException("option --placement cross needs at least 2 CPUs (--cpus 2), got "
                    + context.processors());
        }
        long framesNeeded = (long) threads * window + 16;
        if (framesNeeded > spaces.mappingDatabase().userFrames() / 2) {
            throw new IllegalArgumentException("--threads x --window = " + threads * (long) window
                    + " pages does not fit half the " + spaces.mappingDatabase().userFrames()
                    + " user frames of this machine (lower --window or --threads)");
        }
        ThreadId sigma0 = spaces.startSigma0(0);
        AnonymousPager program = new AnonymousPager(sigma0);
        ThreadId pager = spaces.createThread(ThreadSpec.daemon("pager", cross ? 1 : 0, program),
                spaces.createSpace("pager"), sigma0);
        long[] fresh = new long[threads];
        long[] refaults = new long[threads];
        int[] finished = new int[1];
        for (int t = 0; t < threads; t++) {
            long share = context.ops() / threads + (t < context.ops() % threads ? 1 : 0);
            SingleWriterLatencyRecorder recorder = context.recorder("client" + t);
            AddressSpace space = spaces.createSpace("client" + t);
            long base = BASE + (long) t * window * 4096L;
            int index = t;
            spaces.createThread(ThreadSpec.of("client" + t, 0, () -> {
                long done = 0;
                while (done < share && !context.timeUp()) {
                    int slot = (int) (done % window);
                    if (slot == 0 && done > 0) {
                        for (int p = 0; p < window; p++) {
                            L4.unmap(TypedItems.fpage(base + p * 4096L, 12, 7), true);
                        }
                    }
                    long va = base + slot * 4096L;
                    int value = (int) done * 31 + index;
                    long c0 = L4.clock();
                    long n0 = System.nanoTime();
                    L4.store(va, value);
                    long n1 = System.nanoTime();
                    long c1 = L4.clock();
                    if (L4.load(va) != value) {
                        throw new IllegalStateException("client" + index + " lost its store at 0x" + Long.toHexString(va));
                    }
                    recorder.record(c1 - c0, n1 - n0);
                    if (done < window) {
                        fresh[index]++;
                    } else {
                        refaults[index]++;
                    }
                    done++;
                }
                if (++finished[0] == threads) { // every client runs on CPU 0: no race on the counter
                    long f = 0;
                    long r = 0;
                    for (int i = 0; i < threads; i++) {
                        f += fresh[i];
                        r += refaults[i];
                    }
                    context.putResult("fresh_pages", f);
                    context.putResult("refaults", r);
                    context.putResult("faults_served_by_pager", program.served());
                }
            }), space, pager);
        }
    }
}
