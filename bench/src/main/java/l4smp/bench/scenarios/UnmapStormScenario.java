package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.user.Sigma0;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.space.TlbShootdown;
import l4smp.kernel.space.UnresolvedPageFault;
import l4smp.kernel.thread.ThreadId;

import java.util.List;

/**
 * A pager revokes pages that threads on every CPU use (thesis 3.1.1, 9.3): the TLB shootdown of
 * each unmap, under {@code --policy all} (interrupt every other CPU, implementation decision 5)
 * or {@code --policy current-space} (only CPUs whose current space may cache the pages, 9.3
 * option 1). One operation is one unmap (its latency includes waiting for the acknowledgements).
 *
 * <p>The pager (its own space, CPU 0) holds {@code --pages} frames from sigma0 and maps them, and
 * a control page, into a shared space S through a helper thread of S on CPU 0 (map items stay on
 * one processor). A worker of S runs on each sharing CPU and only loads and stores: it reads a
 * page's "revoked generation" from the control page, then the page, whose first word holds the
 * generation of its current mapping; a value not above the revoked generation is a read through
 * a stale translation after {@code unmap} returned, counted as {@code stale_reads} (must be 0).
 * A page not mapped at the moment faults (no pager: the worker catches it and retries).
 * The last {@code --bystanders} CPUs run a thread of a private space instead (computing only):
 * those are the IPIs the current-space policy saves. {@code --sharers MASK} names the CPUs of
 * S's workers directly instead (bit c: CPU c; CPU 0 must be one), the others run private spaces.
 */
public final class UnmapStormScenario implements Scenario {

    /** Where the pager keeps its frames, and where S sees them. */
    static final long POOL = 0x4000_0000L;
    static final long SHARED = 0x1000_0000L;
    /** The control page: revoked generation per page, the stop word, the workers' counters. */
    static final long CONTROL = 0x0F00_0000L;
    static final long PAGER_CONTROL = 0x3F00_0000L;
    /** Byte offset of the stop word in the control page (after the generations). */
    static final int STOP = 1024;
    static final int MAX_PAGES = 64;

    @Override
    public String name() {
        return "unmap-storm";
    }

    @Override
    public String description() {
        return "a pager revokes pages shared by threads on every CPU (TLB shootdown, --policy all|current-space)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.choiceOption("policy", "all", List.of("all", "current-space"),
                        "TLB shootdown targets: every other CPU, or CPUs whose current space may cache the page"),
                OptionSpec.longOption("pages", 4, 1, MAX_PAGES, "shared pages the pager revokes in turn"),
                OptionSpec.longOption("bystanders", 0, 0, 63,
                        "CPUs (the last ones) that run a private space instead of a worker of the shared one"),
                OptionSpec.longOption("work", 200, 0, 1_000_000, "cycles the pager computes between unmaps"),
                OptionSpec.longOption("sharers", 0, 0, Long.MAX_VALUE,
                        "bit mask of the CPUs that run a worker of the shared space (0: all but the bystanders)"));
    }

    /** The policy named by {@code --policy}. */
    static TlbShootdown.Policy policy(String name) {
        return name.equals("all") ? TlbShootdown.Policy.ALL : TlbShootdown.Policy.CURRENT_SPACE;
    }

    @Override
    public void setup(ScenarioContext context) {
        TlbShootdown.Policy policy = policy(context.options().getString("policy"));
        int pages = context.options().getInt("pages");
        int bystanders = context.options().getInt("bystanders");
        long work = context.options().getLong("work");
        int cpus = context.processors();
        if (bystanders >= cpus) {
            throw new IllegalArgumentException("--bystanders must be below the CPU count (" + cpus + "): CPU 0 runs a worker");
        }
        long sharers = context.options().getLong("sharers");
        if (sharers != 0 && bystanders != 0) {
            throw new IllegalArgumentException("--sharers and --bystanders both place the workers: give one");
        }
        if (sharers != 0 && ((sharers & 1) == 0 || (cpus < 63 && (sharers >>> cpus) != 0))) {
            throw new IllegalArgumentException("--sharers must include CPU 0 (bit 0) and name only CPUs below " + cpus);
        }
        long sharing = sharers != 0 ? sharers : bystanderMask(cpus, bystanders);
        Kernel kernel = context.kernel(c -> c.withShootdownPolicy(policy));
        Spaces spaces = kernel.spaces();
        ThreadId sigma0 = spaces.startSigma0(0);
        AddressSpace shared = spaces.createSpace("shared");
        ThreadId[] ids = new ThreadId[2];
        SingleWriterLatencyRecorder recorder = context.recorder("pager");
        Stats stats = new Stats();
        // The helper of S: receives the pager's map items (the same processor, so map items work).
        ids[1] = spaces.createThread(ThreadSpec.daemon("s-helper", 0, () -> {
            while (true) {
                L4.setBr(0, TypedItems.fpage(0, 32, 7)); // accept mappings anywhere in S
                L4.receive(ids[0]);
            }
        }), shared, ThreadId.NIL);
        ids[0] = spaces.createThread(ThreadSpec.of("pager", 0, () -> {
            try {
                revoke(context, spaces, sigma0, ids[1], pages, work, context.machine().cpuCount(), policy, recorder);
            } finally {
                stats.stopped = true; // also when the pager failed: the workers must not wait forever
            }
        }), spaces.createSpace("pager"), sigma0);
        for (int c = 0; c < cpus; c++) {
            int cpu = c;
            if ((sharing & (1L << c)) == 0) {
                spaces.createThread(ThreadSpec.of("bystander" + c, c, () -> {
                    while (!stats.stopped) {
                        L4.compute(1000);
                    }
                }), spaces.createSpace("private" + c), ThreadId.NIL);
                continue;
            }
            spaces.createThread(ThreadSpec.of("worker" + c, c, () -> {
                long loads = 0;
                long faults = 0;
                long stale = 0;
                while (true) {
                    try {
                        if (L4.load(CONTROL + STOP) != 0) {
                            break;
                        }
                    } catch (UnresolvedPageFault notYet) {
                        if (stats.stopped) {
                            break; // the pager stopped (failed) before it mapped the control page
                        }
                        L4.compute(200);
                        if (cpu == 0) {
                            L4.yieldCpu(); // let the pager map the control page
                        }
                        continue;
                    }
                    for (int p = 0; p < pages; p++) {
                        int revoked = L4.load(CONTROL + 4L * p);
                        try {
                            int seen = L4.load(SHARED + p * 4096L);
                            L4.store(SHARED + p * 4096L + 64 + 4L * cpu, seen);
                            loads++;
                            if (seen <= revoked) {
                                stale++;
                            }
                        } catch (UnresolvedPageFault revokedNow) {
                            faults++;
                        }
                    }
                    L4.compute(100);
                    if (cpu == 0) {
                        L4.yieldCpu(); // share CPU 0 with the pager
                    }
                }
                synchronized (stats) {
                    stats.loads += loads;
                    stats.faults += faults;
                    stats.stale += stale;
                    context.putResult("worker_loads", stats.loads);
                    context.putResult("worker_faults", stats.faults);
                    context.putResult("stale_reads", stats.stale);
                }
            }), shared, ThreadId.NIL);
        }
    }

    /** The CPUs that run a worker of S when the last {@code bystanders} CPUs do not. */
    private static long bystanderMask(int cpus, int bystanders) {
        long all = cpus >= 64 ? -1L : (1L << cpus) - 1;
        long shared = cpus - bystanders >= 64 ? -1L : (1L << (cpus - bystanders)) - 1;
        return all & shared;
    }

    /** The pager: maps the pages into S, then revokes and re-maps them in turn. Pager thread. */
    private static void revoke(ScenarioContext context, Spaces spaces, ThreadId sigma0, ThreadId helper, int pages,
                               long work, int physicalCpus, TlbShootdown.Policy policy,
                               SingleWriterLatencyRecorder recorder) {
        for (int p = 0; p < pages; p++) {
            if (L4.sigma0Request(sigma0, Sigma0.ANY_PAGE, POOL + p * 4096L) == 0) {
                throw new IllegalStateException("sigma0 refused a page");
            }
        }
        if (L4.sigma0Request(sigma0, Sigma0.ANY_PAGE, PAGER_CONTROL) == 0) {
            throw new IllegalStateException("sigma0 refused the control page");
        }
        mapToShared(helper, PAGER_CONTROL, CONTROL);
        int[] generation = new int[pages];
        for (int p = 0; p < pages; p++) {
            generation[p] = 1;
            L4.store(POOL + p * 4096L, 1);
            mapToShared(helper, POOL + p * 4096L, SHARED + p * 4096L);
        }
        long done = 0;
        while (!context.shouldStop(done)) {
            int p = (int) (done % pages);
            long c0 = L4.clock();
            long n0 = System.nanoTime();
            L4.unmap(TypedItems.fpage(POOL + p * 4096L, 12, 7), false); // S loses the page
            long n1 = System.nanoTime();
            long c1 = L4.clock();
            recorder.record(c1 - c0, n1 - n0);
            L4.store(PAGER_CONTROL + 4L * p, generation[p]); // generation g revoked
            generation[p]++;
            L4.store(POOL + p * 4096L, generation[p]);
            mapToShared(helper, POOL + p * 4096L, SHARED + p * 4096L);
            if (work > 0) {
                L4.compute(work);
            }
            L4.yieldCpu(); // let CPU 0's worker run between unmaps
            done++;
        }
        L4.store(PAGER_CONTROL + STOP, 1);
        // Shootdown statistics of this CPU are written by it (the only initiator) and by the
        // targets before they acknowledge: complete as of the last unmap.
        var sd = spaces.shootdown();
        long flushed = 0;
        for (int i = 0; i < physicalCpus; i++) { // per physical CPU (a failed one flushed nothing)
            flushed += sd.entriesFlushed(i);
        }
        context.putResult("policy", policy.name());
        context.putResult("unmaps", done);
        context.putResult("shootdown_ipis_sent", sd.ipisSent(0));
        context.putResult("shootdown_ipis_saved", sd.ipisSaved(0));
        context.putResult("tlb_entries_flushed", flushed);
    }

    /** Maps the pager's page {@code from} to {@code to} in S, through the helper. Pager only. */
    private static void mapToShared(ThreadId helper, long from, long to) {
        L4.setMr(1, TypedItems.mapItem(to));
        L4.setMr(2, TypedItems.fpage(from, 12, 7));
        int tag = L4.send(helper, MsgTag.make(0, 0, 2));
        if (MsgTag.isError(tag)) {
            throw new IllegalStateException("mapping to the shared space failed");
        }
    }

    /** Totals of the workers (reported by each when it stops). */
    static final class Stats {
        volatile boolean stopped;
        long loads;
        long faults;
        long stale;
    }
}
