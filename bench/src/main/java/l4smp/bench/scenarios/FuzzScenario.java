package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.emulator.cpu.CpuStuckException;
import l4smp.emulator.cpu.MachineStoppedException;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.api.L4;
import l4smp.kernel.api.Utcb;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.space.UnresolvedPageFault;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.user.Sigma0;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A system-call fuzzer in the style of syzkaller, on the deterministic simulation: fuzzer threads
 * in {@code --spaces} address spaces, {@code --threads} on every CPU, issue random {@link L4}
 * calls with random and adversarial arguments, while a chaos thread per space cancels IPC
 * (exchange-registers, 8.4.3), migrates threads (schedule, 8.7) and unmaps pages.
 *
 * <p>The calls: send, receive, call, reply-and-wait and raw IPC with random partners (nil, any,
 * oneself, the fuzzers of every space, stale versions of dead threads, numbers never created)
 * and random timeouts (zero, short, long, never, absurd), untyped words, string items (also
 * overlapping or outside the space) and map or grant items (also over the kernel area above
 * {@link AddressSpace#USER_LIMIT}) with random receive windows; exchange-registers, thread
 * switch, schedule with random processors (including numbers out of range), priorities and
 * timeslices; thread creation (in the caller's space, a new space or another thread's) and
 * deletion; unmap of random flexpages; loads and stores; sleep; the kernel info page and UTCB
 * reads; and arguments the facade must refuse (negative timeouts, message register numbers out
 * of range, unknown control bits).
 *
 * <p>The oracle. Every call must end in a result or an X.2 error code. A fuzzer thread fails the
 * run, naming the seed, the thread, the call's number, the call with its arguments and the
 * thread's last {@code --ring} calls, when:
 * <ul>
 * <li>a call throws anything but the facade's refusal of a bad argument (an
 * {@link IllegalArgumentException} thrown by the facade or its encoders before the trap) or an
 * {@link UnresolvedPageFault} (the documented end of a fault nobody resolves: the fuzzers have
 * no pager);</li>
 * <li>a call does not return within {@code --hang} cycles although the chaos thread cancels any
 * call older than {@code --cancel-after} cycles;</li>
 * <li>a load of the canary address returns another space's canary: every space maps a canary
 * page of its own at {@link #CANARY_VA}, and no call the fuzzer makes maps, copies or stores
 * from it, so no other space can legitimately see its value.</li>
 * </ul>
 * The runner checks the kernel invariants after the run, and its {@code --stall} watchdog stops a
 * run in which nothing progresses at all. All randomness comes from the run's seed: each fuzzer
 * thread has a {@link SplittableRandom} of the seed and its index, so a seeded run replays bit
 * for bit.
 *
 * <p>Findings: every kernel bug this fuzzer has found is fixed, and its seeds pass (replay with
 * {@code scripts/l4smp run fuzz --strategy random --cpus C --ops N --seed S}): the shootdown /
 * mapping-database deadlock ({@code --cpus 4 --ops 300} seeds 325, 479, 593, 650; a map or unmap
 * completes its shootdown after releasing the mapping-database lock); that of a map or grant
 * item sent across processors, installed by the proxy under the receiver's TCB lock while
 * another CPU spun for that lock without answering the shootdown IPI ({@code --cpus 2 --ops 300
 * --seed 469}, {@code --cpus 4 --ops 300} seeds 550, 700, 857; the shootdown now waits for the
 * release of the TCB lock, and the proxy's reply for the shootdown); and a thread that a
 * migration was moving off its CPU woken there by its gone partner's IPI, so that it ran its next
 * IPC on the CPU it had left ({@code --cpus 4 --ops 300} seeds 280, 764; the old CPU now leaves
 * the thread to its new one).
 */
public final class FuzzScenario implements Scenario {

    /** Where every space maps its canary page (below the 2 GB boundary: no kernel flexpage covers it). */
    static final long CANARY_VA = 0x7F00_0000L;
    /** The canary value of space {@code s} is {@code CANARY_BASE + s}; stores never write this pattern. */
    static final int CANARY_BASE = 0x5CA7_0000;
    /** Each fuzzer's two scratch pages: {@code SCRATCH + index * 0x10000}. */
    static final long SCRATCH = 0x1000_0000L;
    static final int FUZZER_PRIORITY = 100;
    static final int CHAOS_PRIORITY = 200;
    /** Timeouts from here on (about 36 years at 1 GHz) cannot run out within any run. */
    static final long ABSURD = 1L << 60;

    @Override
    public String name() {
        return "fuzz";
    }

    @Override
    public String description() {
        return "random and adversarial L4 calls on every CPU under migrations, aborts and unmaps: every call ends in a result or an X.2 error";
    }

    @Override
    public int defaultCpus() {
        return 4;
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("spaces", 2, 1, 16, "address spaces, each with its canary page"),
                OptionSpec.longOption("threads", 2, 1, 64, "fuzzer threads per CPU (spread over the spaces)"),
                OptionSpec.longOption("ring", 16, 1, 4096, "calls kept per thread for a failure's report"),
                OptionSpec.longOption("period", 20_000, 100, 100_000_000, "simulated cycles between two chaos actions"),
                OptionSpec.longOption("cancel-after", 2_000_000, 1_000, 1_000_000_000_000L,
                        "cycles after which the chaos thread cancels a fuzzer's blocked call"),
                OptionSpec.longOption("hang", 200_000_000, 10_000, Long.MAX_VALUE / 4,
                        "cycles a call may take, cancels included, before the run fails as hung"),
                OptionSpec.choiceOption("negative-control", "none", List.of("none", "canary-leak"),
                        "tests only: canary-leak maps space 0's canary page into space 1 at start, which the"
                                + " canary check must report (the run fails)"));
    }

    @Override
    public void setup(ScenarioContext context) {
        int cpus = context.processors();
        int spaces = context.options().getInt("spaces");
        int perCpu = context.options().getInt("threads");
        int ring = context.options().getInt("ring");
        long period = context.options().getLong("period");
        long cancelAfter = context.options().getLong("cancel-after");
        long hang = context.options().getLong("hang");
        boolean leak = context.options().getString("negative-control").equals("canary-leak");
        if (leak && spaces < 2) {
            throw new IllegalArgumentException("option --negative-control canary-leak needs --spaces 2 or more, got " + spaces);
        }
        if (cancelAfter >= hang) {
            throw new IllegalArgumentException("option --cancel-after " + cancelAfter + " must be below --hang " + hang);
        }
        int fuzzers = cpus * perCpu;
        if (fuzzers > context.ops()) {
            throw new IllegalArgumentException("--ops " + context.ops() + " is below the " + fuzzers
                    + " fuzzer threads (--threads " + perCpu + " on " + cpus + " CPUs): every thread needs a call");
        }
        Kernel kernel = context.kernel();
        Spaces sp = kernel.spaces();
        long seed = context.config().seed();
        Shared sh = new Shared(context, fuzzers, spaces, ring, seed, cancelAfter, hang, leak);
        sh.sigma0 = sp.startSigma0(0);
        AddressSpace[] space = new AddressSpace[spaces];
        for (int s = 0; s < spaces; s++) {
            space[s] = sp.createSpace("fuzz" + s);
        }
        for (int i = 0; i < fuzzers; i++) {
            int me = i;
            int s = i % spaces;
            sh.spaceOf[i] = s;
            long share = context.ops() / fuzzers + (i < context.ops() % fuzzers ? 1 : 0);
            SingleWriterLatencyRecorder recorder = context.recorder("fuzz" + i);
            sh.fuzzers[i] = sp.createThread(new ThreadSpec("fuzz" + i, i / perCpu, FUZZER_PRIORITY, false, () -> {
                try {
                    new Fuzzer(sh, me, share, recorder).run();
                } finally {
                    sh.inFlightSince.set(me, -1);
                    sh.done.incrementAndGet();
                }
            }), space[s], ThreadId.NIL);
        }
        for (int s = 0; s < spaces; s++) {
            int mine = s;
            sh.chaos[s] = sp.createThread(new ThreadSpec("chaos" + s, (cpus - 1 - s % cpus + cpus) % cpus,
                    CHAOS_PRIORITY, true, () -> chaos(sh, mine, cpus, period)), space[s], ThreadId.NIL);
        }
        // A stalled run skips the checks, a failed CPU ends the run: either way, name the calls
        // that never returned, with their history.
        context.whenStoppedEarly(() -> {
            context.putResult("seed", seed);
            context.putResult("calls", sh.calls.get());
            context.putResult("calls_in_flight", inFlight(sh));
        });
        context.afterRun(() -> {
            context.putResult("seed", seed);
            if (!context.machine().outcome().ok()) {
                context.putResult("calls_in_flight", inFlight(sh));
            }
            context.putResult("calls", sh.calls.get());
            context.putResult("calls_with_ipc_error", sh.ipcErrors.get());
            context.putResult("refused_by_facade", sh.refused.get());
            context.putResult("unresolved_faults", sh.faults.get());
            context.putResult("canary_loads", sh.canaryLoads.get());
            context.putResult("canary_loads_own_value", sh.canaryOwn.get());
            context.putResult("threads_created", sh.created.get());
            context.putResult("threads_deleted", sh.deleted.get());
            context.putResult("chaos_cancels", sh.cancels.get());
            context.putResult("chaos_migrations", sh.migrations.get());
            context.putResult("chaos_unmaps", sh.unmaps.get());
            context.putResult("failures", sh.failures.get());
            if (!context.timeUp() && sh.failures.get() == 0 && sh.calls.get() != context.ops()) {
                context.fail("scenario check: " + sh.calls.get() + " calls completed of " + context.ops()
                        + " (seed " + seed + ")");
            }
        });
    }

    /** The calls in flight when the machine stopped, each with its thread's last calls. */
    private static List<String> inFlight(Shared sh) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < sh.fuzzers.length; i++) {
            long since = sh.inFlightSince.get(i);
            if (since >= 0) {
                out.add("fuzz" + i + " (space " + sh.spaceOf[i] + ", " + sh.fuzzers[i] + ") call #"
                        + sh.callNumber.get(i) + " since cycle " + since + ": " + sh.rings[i].last()
                        + "; its last calls: " + sh.rings[i].dump());
            }
        }
        return out;
    }

    /** A chaos thread: cancels, migrations and unmaps in its space; the hang check over every fuzzer. */
    private static void chaos(Shared sh, int space, int cpus, long period) {
        SplittableRandom random = new SplittableRandom(mix(sh.seed, -1 - space));
        int n = sh.fuzzers.length;
        // Goes on after a failure: the fuzzers stop, and those blocked are cancelled so the run ends.
        boolean[] reported = new boolean[n];
        while (sh.done.get() < n) {
            L4.sleep(period / 2 + random.nextLong(period));
            long now = L4.clock();
            for (int i = 0; i < n; i++) {
                long since = sh.inFlightSince.get(i);
                if (since < 0 || now - since < sh.cancelAfter) {
                    continue;
                }
                if (now - since > sh.hang && !reported[i]) {
                    reported[i] = true;
                    sh.fail(i, sh.callNumber.get(i), sh.rings[i].last(), "no result after " + (now - since)
                            + " cycles (the call hangs although it was cancelled)");
                }
                if (sh.spaceOf[i] == space) {
                    L4.exchangeRegisters(sh.fuzzers[i], ExchangeRegisters.CANCEL_SEND | ExchangeRegisters.CANCEL_RECEIVE,
                            0, 0, 0, 0, ThreadId.NIL);
                    sh.cancels.incrementAndGet();
                }
            }
            int victim = random.nextInt(n);
            switch (random.nextInt(3)) {
                case 0 -> {
                    if (sh.spaceOf[victim] == space) {
                        L4.exchangeRegisters(sh.fuzzers[victim], ExchangeRegisters.CANCEL_SEND
                                | ExchangeRegisters.CANCEL_RECEIVE, 0, 0, 0, 0, ThreadId.NIL);
                        sh.cancels.incrementAndGet();
                    }
                }
                case 1 -> {
                    if (L4.migrate(sh.fuzzers[victim], L4.processorOfIndex(random.nextInt(cpus))) >= 0) {
                        sh.migrations.incrementAndGet();
                    }
                }
                default -> {
                    int owner = space + sh.spaces * random.nextInt(Math.max(1, (n - space + sh.spaces - 1) / sh.spaces));
                    if (owner < n) {
                        L4.unmap(TypedItems.fpage(SCRATCH + owner * 0x10000L, 13, 7), random.nextBoolean());
                        sh.unmaps.incrementAndGet();
                    }
                }
            }
        }
    }

    static long mix(long seed, long index) {
        long z = seed * 0x9E37_79B9_7F4A_7C15L + index * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** The state the threads of one run share (host side: the scenario's own bookkeeping). */
    static final class Shared {
        final ScenarioContext context;
        final ThreadId[] fuzzers;
        final ThreadId[] chaos;
        final int[] spaceOf;
        final int spaces;
        final Ring[] rings;
        final long seed;
        final long cancelAfter;
        final long hang;
        /** The negative control: space 0's canary page is mapped into space 1 at start. */
        final boolean leakCanary;
        /** Per fuzzer: the clock at which its current call began, -1 between calls. */
        final AtomicLongArray inFlightSince;
        final AtomicLongArray callNumber;
        /** Threads that were deleted (their ids are stale now). */
        final ConcurrentLinkedQueue<ThreadId> dead = new ConcurrentLinkedQueue<>();
        final AtomicInteger done = new AtomicInteger();
        final AtomicLong calls = new AtomicLong();
        final AtomicLong ipcErrors = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final AtomicLong faults = new AtomicLong();
        final AtomicLong canaryLoads = new AtomicLong();
        final AtomicLong canaryOwn = new AtomicLong();
        final AtomicLong created = new AtomicLong();
        final AtomicLong deleted = new AtomicLong();
        final AtomicLong cancels = new AtomicLong();
        final AtomicLong migrations = new AtomicLong();
        final AtomicLong unmaps = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        volatile ThreadId sigma0 = ThreadId.NIL;

        Shared(ScenarioContext context, int fuzzers, int spaces, int ring, long seed, long cancelAfter, long hang,
               boolean leakCanary) {
            this.context = context;
            this.leakCanary = leakCanary;
            this.fuzzers = new ThreadId[fuzzers];
            this.chaos = new ThreadId[spaces];
            this.spaceOf = new int[fuzzers];
            this.spaces = spaces;
            this.rings = new Ring[fuzzers];
            for (int i = 0; i < fuzzers; i++) {
                rings[i] = new Ring(ring);
            }
            this.seed = seed;
            this.cancelAfter = cancelAfter;
            this.hang = hang;
            this.inFlightSince = new AtomicLongArray(fuzzers);
            this.callNumber = new AtomicLongArray(fuzzers);
            for (int i = 0; i < fuzzers; i++) {
                inFlightSince.set(i, -1);
            }
        }

        /** Records a failure of fuzzer {@code i}'s call {@code n}: seed, call and the thread's last calls. */
        void fail(int i, long n, String call, String what) {
            if (failures.incrementAndGet() > 5) {
                return;
            }
            String mode = context.config().deterministic() ? "seed " + seed : "parallel mode (not replayable)";
            context.fail("fuzz failure (" + mode + "): thread fuzz" + i + " (space " + spaceOf[i] + ", "
                    + fuzzers[i] + ") call #" + n + " " + call + ": " + what + "; its last calls: " + rings[i].dump());
        }
    }

    /** The last calls of one thread, oldest first (written by its thread, read after a failure). */
    static final class Ring {
        private final String[] calls;
        private volatile long count;

        Ring(int size) {
            calls = new String[size];
        }

        void add(long n, String call) {
            calls[(int) (count % calls.length)] = "#" + n + " " + call;
            count = count + 1; // single writer
        }

        String last() {
            long c = count;
            return c == 0 ? "(none)" : calls[(int) ((c - 1) % calls.length)];
        }

        String dump() {
            long c = count;
            List<String> out = new ArrayList<>();
            for (long k = Math.max(0, c - calls.length); k < c; k++) {
                out.add(calls[(int) (k % calls.length)]);
            }
            return out.toString();
        }
    }

    /** Classes whose {@link IllegalArgumentException} is the facade refusing an argument before the trap. */
    static final Set<String> FACADE = Set.of(L4.class.getName(), TypedItems.class.getName(), MsgTag.class.getName(),
            Utcb.class.getName(), ThreadSpec.class.getName(), "l4smp.kernel.api.SpaceAccess",
            "l4smp.kernel.irq.InterruptThreads");

    /** Whether {@code e} is a refusal by the facade: thrown by it before entering the kernel. */
    static boolean refusedByFacade(IllegalArgumentException e) {
        StackTraceElement[] st = e.getStackTrace();
        if (e.getMessage() == null || e.getMessage().isBlank() || st.length == 0) {
            return false;
        }
        if (!FACADE.contains(st[0].getClassName())) {
            return false;
        }
        for (StackTraceElement f : st) {
            if (f.getClassName().equals("l4smp.kernel.KernelTraps")) {
                return false; // thrown after the trap: out of the kernel
            }
        }
        return true;
    }

    /** One fuzzer thread. */
    static final class Fuzzer {
        private final Shared sh;
        private final int me;
        private final long share;
        private final SingleWriterLatencyRecorder recorder;
        private final SplittableRandom random;
        private final Ring ring;
        private final List<ThreadId> children = new ArrayList<>();
        private long n;
        private String call = "";

        Fuzzer(Shared sh, int me, long share, SingleWriterLatencyRecorder recorder) {
            this.sh = sh;
            this.me = me;
            this.share = share;
            this.recorder = recorder;
            this.random = new SplittableRandom(mix(sh.seed, me));
            this.ring = sh.rings[me];
        }

        void run() {
            try {
                prologue();
            } catch (UnresolvedPageFault unmappedMeanwhile) {
                // Another thread of the space unmapped the page between its mapping and the store.
                sh.faults.incrementAndGet();
            }
            for (long k = 0; k < share && !sh.context.timeUp() && sh.failures.get() == 0; k++) {
                n = k;
                long c0 = L4.clock();
                if (!one()) {
                    return;
                }
                recorder.record(Math.max(0, L4.clock() - c0), 0);
                sh.calls.incrementAndGet();
            }
        }

        /** The canary page (the first thread of each space) and the two scratch pages. */
        private void prologue() {
            boolean leakTo = sh.leakCanary && me == 1;
            if (leakTo) { // the negative control: space 0's canary page arrives here instead of our own
                L4.setBr(0, TypedItems.fpage(CANARY_VA, 12, 7));
                L4.receive(sh.fuzzers[0], Timeout.NEVER);
            } else if (me < sh.spaces) { // the first thread of each space maps its canary
                long got = L4.sigma0Request(sh.sigma0, Sigma0.ANY_PAGE, CANARY_VA);
                if (got != 0) {
                    L4.store(CANARY_VA, CANARY_BASE + me);
                }
            }
            if (sh.leakCanary && me == 0) {
                L4.setMr(1, TypedItems.mapItem(CANARY_VA));
                L4.setMr(2, TypedItems.fpage(CANARY_VA, 12, 5));
                L4.send(sh.fuzzers[1], MsgTag.make(0, 0, 2));
            }
            L4.sigma0Request(sh.sigma0, Sigma0.ANY_PAGE, scratch(me));
            L4.sigma0Request(sh.sigma0, Sigma0.ANY_PAGE, scratch(me) + 0x1000);
        }

        private static long scratch(int i) {
            return SCRATCH + i * 0x10000L;
        }

        private void begin(String what) {
            call = what;
            ring.add(n, what);
            sh.callNumber.set(me, n);
            sh.inFlightSince.set(me, L4.clock());
        }

        /** One random call; false after a failure. */
        private boolean one() {
            int kind = random.nextInt(20);
            try {
                dispatch(kind);
                return true;
            } catch (IllegalArgumentException e) {
                if (refusedByFacade(e)) {
                    sh.refused.incrementAndGet();
                    return true;
                }
                sh.fail(me, n, call, "exception out of the kernel: " + describe(e));
                return false;
            } catch (UnresolvedPageFault e) {
                sh.faults.incrementAndGet();
                return true;
            } catch (MachineStoppedException | CpuStuckException e) {
                throw e;
            } catch (Throwable e) {
                sh.fail(me, n, call, "exception out of the kernel: " + describe(e));
                return false;
            } finally {
                sh.inFlightSince.set(me, -1);
            }
        }

        private static String describe(Throwable e) {
            StackTraceElement[] st = e.getStackTrace();
            return e + (st.length > 0 ? " at " + st[0] : "");
        }

        private void dispatch(int kind) {
            switch (kind) {
                case 0, 1 -> ipc(partner(), ThreadId.NIL, words(), timeout(), Timeout.ZERO, "send");
                case 2, 3 -> ipc(ThreadId.NIL, source(), 0, Timeout.ZERO, timeout(), "receive");
                case 4 -> {
                    ThreadId p = partner();
                    ipc(p, p, words(), timeout(), timeout(), "call");
                }
                case 5 -> ipc(partner(), ThreadId.ANY, words(), Timeout.ZERO, timeout(), "replyWait");
                case 6, 7 -> typedIpc();
                case 8 -> exchangeRegisters();
                case 9 -> {
                    ThreadId to = anyId();
                    begin("threadSwitch(" + to + ")");
                    L4.threadSwitch(to);
                }
                case 10, 11 -> schedule();
                case 12 -> create();
                case 13 -> delete();
                case 14 -> unmap();
                case 15 -> memory();
                case 16 -> canary();
                case 17 -> {
                    long t = timeout();
                    begin("sleep(" + Timeout.toString(t) + ")");
                    long c0 = L4.clock();
                    if (L4.sleep(t)) {
                        checkTimeoutNotEarly(L4.errorCode(), t, L4.clock() - c0);
                    }
                }
                case 18 -> info();
                default -> badArguments();
            }
        }

        // ---- arguments ----------------------------------------------------------------------

        /** A destination: a fuzzer of any space, oneself, a child, nil, a stale or never-made id. */
        private ThreadId partner() {
            int r = random.nextInt(16);
            if (r < 9) {
                return sh.fuzzers[random.nextInt(sh.fuzzers.length)];
            }
            return switch (r) {
                case 9 -> L4.myself();
                case 10 -> ThreadId.NIL;
                case 11 -> children.isEmpty() ? sh.sigma0 : children.get(random.nextInt(children.size()));
                case 12 -> stale();
                case 13 -> sh.chaos[random.nextInt(sh.chaos.length)];
                case 14 -> ThreadId.of(1 + random.nextInt(ThreadId.MAX_NUMBER), 1 + random.nextInt(ThreadId.MAX_VERSION));
                default -> sh.sigma0;
            };
        }

        /** A receive source: a partner, or any. */
        private ThreadId source() {
            return random.nextInt(3) == 0 ? ThreadId.ANY : partner();
        }

        private ThreadId anyId() {
            int r = random.nextInt(8);
            return r == 0 ? ThreadId.ANY : r == 1 ? ThreadId.fromRaw(random.nextInt()) : partner();
        }

        /** A stale id: a deleted thread, or another version of a live one. */
        private ThreadId stale() {
            ThreadId d = sh.dead.peek();
            if (d != null && random.nextBoolean()) {
                return d;
            }
            ThreadId live = sh.fuzzers[random.nextInt(sh.fuzzers.length)];
            int v = live.version() + 1 + random.nextInt(3);
            return ThreadId.of(live.number(), v > ThreadId.MAX_VERSION ? 1 : v);
        }

        /** A timeout: zero, short, long, never, or absurd (but encodable). */
        private long timeout() {
            return switch (random.nextInt(8)) {
                case 0, 1 -> Timeout.ZERO;
                case 2, 3 -> 1 + random.nextLong(20_000);
                case 4 -> 1 + random.nextLong(2_000_000);
                case 5 -> Timeout.NEVER;
                case 6 -> Timeout.NEVER - 1 - random.nextLong(1000); // absurd: clock overflow territory
                default -> random.nextLong(Long.MAX_VALUE / 2);
            };
        }

        /** A tag of 0..8 untyped words with a random label (MR1.. set to random values). */
        private int words() {
            int u = random.nextInt(9);
            for (int i = 1; i <= u; i++) {
                L4.setMr(i, storable());
            }
            return MsgTag.make(random.nextInt(0x10000), u);
        }

        private int storable() {
            int v = random.nextInt();
            return (v & 0xFFFF_0000) == CANARY_BASE ? v ^ 0x8000_0000 : v;
        }

        /** An address inside the space but never the canary page (so nothing copies or maps it). */
        private long address() {
            return switch (random.nextInt(6)) {
                case 0, 1 -> scratch(me) + random.nextInt(0x2000);
                case 2 -> scratch(random.nextInt(sh.fuzzers.length)) + random.nextInt(0x2000);
                case 3 -> random.nextLong(0x7000_0000L);
                case 4 -> AddressSpace.USER_LIMIT + random.nextLong(0x4000_0000L); // the kernel area
                default -> 0;
            };
        }

        /** A flexpage to send, unmap or accept; never covering the canary page. */
        private long fpage() {
            int rights = random.nextInt(8);
            return switch (random.nextInt(7)) {
                case 0, 1 -> TypedItems.fpage(scratch(me), 12 + random.nextInt(2), rights);
                case 2 -> TypedItems.fpage(scratch(random.nextInt(sh.fuzzers.length)), 12, rights);
                case 3 -> TypedItems.fpage(SCRATCH, 20 + random.nextInt(8), rights); // up to 0x1000_0000..0x1FFF_FFFF
                case 4 -> TypedItems.fpage(AddressSpace.USER_LIMIT, 30, rights); // the kernel area
                case 5 -> TypedItems.fpage(0x8000_0000L, 31, rights); // half user, half kernel
                default -> TypedItems.fpage(random.nextLong(0x7000_0) << 12, 12, rights);
            };
        }

        /** A receive window (BR0): none, a scratch window, the whole space, the kernel area. */
        private long window() {
            return switch (random.nextInt(5)) {
                case 0 -> 0;
                case 1 -> TypedItems.fpage(0, 32, 7);
                case 2 -> TypedItems.fpage(scratch(me), 13, 7);
                case 3 -> TypedItems.fpage(AddressSpace.USER_LIMIT, 30, 7);
                default -> fpage();
            };
        }

        // ---- the calls ------------------------------------------------------------------------

        private void ipc(ThreadId to, ThreadId from, int tag, long st, long rt, String name) {
            begin(name + "(to " + to + ", from " + from + ", tag " + MsgTag.toString(tag) + ", send "
                    + Timeout.toString(st) + ", receive " + Timeout.toString(rt) + ")");
            long c0 = L4.clock();
            int result = L4.ipc(to, from, tag, st, rt);
            if (MsgTag.isError(result)) {
                sh.ipcErrors.incrementAndGet();
                int word = L4.errorCode();
                IpcError.describe(word); // every error word must decode
                checkTimeoutNotEarly(word, to.isNil() ? rt : -1, L4.clock() - c0);
            }
        }

        /**
         * A receive-only call that timed out: an absurd timeout ({@link #ABSURD} cycles or more,
         * not never) cannot have run out within the run (simulated runs last far fewer cycles).
         */
        private void checkTimeoutNotEarly(int word, long rt, long elapsed) {
            if (rt >= ABSURD && rt != Timeout.NEVER && IpcError.code(word) == IpcError.TIMEOUT
                    && IpcError.phase(word) == IpcError.PHASE_RECEIVE && elapsed < rt / 2) {
                sh.fail(me, n, call, "a receive timeout of " + rt + " cycles fired after " + elapsed + " cycles");
            }
        }

        /** IPC with string, map and grant items, and random receive buffers. */
        private void typedIpc() {
            StringBuilder d = new StringBuilder();
            int u = random.nextInt(3);
            for (int i = 1; i <= u; i++) {
                L4.setMr(i, storable());
            }
            int t = 0;
            int items = 1 + random.nextInt(2);
            for (int k = 0; k < items && u + t + 2 <= MsgTag.MESSAGE_REGISTERS - 1; k++) {
                int r = random.nextInt(3);
                if (r == 0) {
                    long a = address();
                    int len = random.nextInt(4) == 0 ? random.nextInt(TypedItems.MAX_STRING + 1) : random.nextInt(0x3000);
                    L4.setMr(u + t + 1, TypedItems.stringItem(a, len));
                    L4.setMr(u + t + 2, a);
                    d.append(" string(0x").append(Long.toHexString(a)).append(", ").append(len).append(')');
                } else {
                    long fp = fpage();
                    long base = address() & ~0xFFFL;
                    L4.setMr(u + t + 1, r == 1 ? TypedItems.mapItem(base) : TypedItems.grantItem(base));
                    L4.setMr(u + t + 2, fp);
                    d.append(r == 1 ? " map(" : " grant(").append("0x").append(Long.toHexString(base)).append(", fpage 0x")
                            .append(Long.toHexString(fp)).append(')');
                }
                t += 2;
            }
            // Receive buffers: the acceptor with or without strings, and up to two string buffers
            // that may overlap each other or the send strings.
            long window = window();
            boolean strings = random.nextBoolean();
            L4.setBr(0, window | (strings ? TypedItems.ACCEPT_STRINGS : 0));
            int buffers = strings ? random.nextInt(3) : 0;
            for (int b = 0; b < buffers; b++) {
                long a = random.nextBoolean() ? scratch(me) + random.nextInt(0x1000) : address();
                int len = random.nextInt(0x2000);
                L4.setBr(1 + 2 * b, TypedItems.stringItem(a, len));
                L4.setBr(2 + 2 * b, a);
                d.append(" buffer(0x").append(Long.toHexString(a)).append(", ").append(len).append(')');
            }
            d.append(" window 0x").append(Long.toHexString(window)).append(strings ? " +strings" : "");
            ThreadId to = random.nextInt(4) == 0 ? ThreadId.NIL : partner();
            ThreadId from = random.nextBoolean() ? ThreadId.NIL : source();
            int tag = MsgTag.make(random.nextInt(0x10000), u, t);
            ipc(to, from, tag, timeout(), timeout(), "typedIpc[" + d.toString().trim() + "]");
        }

        private void exchangeRegisters() {
            ThreadId dest;
            int control;
            int r = random.nextInt(4);
            if (r == 0 && !children.isEmpty()) {
                dest = children.get(random.nextInt(children.size())); // anything goes on one's own children
                control = random.nextInt(ExchangeRegisters.ALL + 1) & ExchangeRegisters.ALL;
            } else if (r == 1) {
                dest = random.nextBoolean() ? stale() : ThreadId.fromRaw(random.nextInt());
                control = random.nextInt(ExchangeRegisters.ALL + 1) & ExchangeRegisters.ALL;
            } else {
                // A fuzzer (of any space): no halt and no pager change, which would stop the fuzzer itself.
                dest = random.nextInt(4) == 0 ? ThreadId.ANY : sh.fuzzers[random.nextInt(sh.fuzzers.length)];
                control = random.nextInt(ExchangeRegisters.ALL + 1) & (ExchangeRegisters.CANCEL_RECEIVE
                        | ExchangeRegisters.CANCEL_SEND | ExchangeRegisters.SET_SP | ExchangeRegisters.SET_IP
                        | ExchangeRegisters.SET_FLAGS | ExchangeRegisters.SET_USER_HANDLE);
            }
            long sp = random.nextLong();
            long ip = random.nextLong();
            ThreadId pager = random.nextBoolean() ? ThreadId.NIL : partner();
            begin("exchangeRegisters(" + dest + ", control 0x" + Integer.toHexString(control) + ", sp 0x"
                    + Long.toHexString(sp) + ", ip 0x" + Long.toHexString(ip) + ", pager " + pager + ")");
            ExchangeRegisters.Result res = L4.exchangeRegisters(dest, control, sp, ip, random.nextLong(),
                    random.nextLong(), pager);
            if (res == null) {
                throw new IllegalStateException("exchange-registers returned no result");
            }
        }

        private void schedule() {
            ThreadId dest = random.nextInt(4) == 0 ? L4.myself() : partner();
            int cpus = L4.kernelInfo() == null ? 1 : sh.context.processors();
            int processor = switch (random.nextInt(6)) {
                case 0 -> L4.noMigration();
                case 1 -> L4.processorOfIndex(cpus + random.nextInt(100));
                case 2 -> L4.noMigration() - 1 - random.nextInt(1000);
                default -> L4.processorOfIndex(random.nextInt(cpus));
            };
            int priority = switch (random.nextInt(5)) {
                case 0 -> -1;
                case 1 -> 256 + random.nextInt(10_000);
                case 2 -> -2 - random.nextInt(100);
                default -> FUZZER_PRIORITY - 10 + random.nextInt(20);
            };
            long timeslice = switch (random.nextInt(5)) {
                case 0 -> 0;
                case 1 -> -random.nextLong(Long.MAX_VALUE);
                case 2 -> Long.MAX_VALUE - random.nextLong(1000);
                case 3 -> 1 + random.nextInt(100);
                default -> 1000 + random.nextLong(1_000_000);
            };
            if (random.nextInt(4) == 0) {
                int word = random.nextInt();
                begin("scheduleWord(" + dest + ", 0x" + Integer.toHexString(word) + ", timeslice " + timeslice + ")");
                L4.scheduleWord(dest, word, timeslice);
            } else {
                begin("schedule(" + dest + ", processor " + processor + ", priority " + priority + ", timeslice "
                        + timeslice + ")");
                L4.schedule(dest, processor, priority, timeslice);
            }
        }

        private void create() {
            int prio = 1 + random.nextInt(FUZZER_PRIORITY);
            long nap = random.nextLong(200_000);
            ThreadId peer = random.nextBoolean() ? ThreadId.ANY : sh.fuzzers[random.nextInt(sh.fuzzers.length)];
            long wait = random.nextLong(100_000);
            ThreadSpec spec = ThreadSpec.daemon("fuzz" + me + "-child" + n, 0, () -> {
                L4.sleep(nap);
                L4.receive(peer, wait);
            });
            spec = new ThreadSpec(spec.name(), 0, prio, true, spec.program());
            ThreadId got;
            switch (random.nextInt(3)) {
                case 0 -> {
                    begin("createThread(priority " + prio + ")");
                    got = L4.createThread(spec.name(), prio, true, spec.program());
                }
                case 1 -> {
                    ThreadId pager = random.nextBoolean() ? ThreadId.NIL : partner();
                    begin("threadControl(new space, priority " + prio + ", pager " + pager + ")");
                    got = L4.threadControl(spec, ThreadId.NIL, pager);
                }
                default -> {
                    ThreadId spaceOf = partner();
                    begin("threadControl(space of " + spaceOf + ", priority " + prio + ")");
                    got = L4.threadControl(spec, spaceOf.isNil() ? L4.myself() : spaceOf, ThreadId.NIL);
                }
            }
            if (got == null) {
                throw new IllegalStateException("thread creation returned null");
            }
            if (!got.isNil()) {
                children.add(got);
                sh.created.incrementAndGet();
            }
        }

        /** Deletes one of its children, or tries a stale, nil, any or never-made id (never a fuzzer). */
        private void delete() {
            ThreadId victim;
            int r = random.nextInt(4);
            if (r < 2 && !children.isEmpty()) {
                victim = children.remove(random.nextInt(children.size()));
            } else if (r == 2) {
                victim = stale();
            } else {
                victim = switch (random.nextInt(3)) {
                    case 0 -> ThreadId.NIL;
                    case 1 -> ThreadId.ANY;
                    default -> ThreadId.of(ThreadId.MAX_NUMBER - random.nextInt(100), 1);
                };
            }
            if (isSetupThread(victim)) {
                victim = ThreadId.NIL;
            }
            begin("deleteThread(" + victim + ")");
            if (L4.deleteThread(victim)) {
                sh.deleted.incrementAndGet();
                sh.dead.add(victim);
            }
        }

        private boolean isSetupThread(ThreadId id) {
            if (id.equals(sh.sigma0)) {
                return true;
            }
            for (ThreadId f : sh.fuzzers) {
                if (f.number() == id.number()) {
                    return true;
                }
            }
            for (ThreadId c : sh.chaos) {
                if (c.number() == id.number()) {
                    return true;
                }
            }
            return false;
        }

        private void unmap() {
            long fp = random.nextInt(5) == 0 ? TypedItems.fpage(0, 32, random.nextInt(8)) : fpage();
            boolean own = random.nextBoolean();
            begin("unmap(fpage 0x" + Long.toHexString(fp) + (own ? ", flush own" : "") + ")");
            L4.unmap(fp, own);
        }

        private void memory() {
            long a = address() & ~3L;
            if (random.nextInt(8) == 0) {
                a |= 1 + random.nextInt(3); // unaligned: refused by the facade
            }
            if (random.nextBoolean()) {
                int v = storable();
                begin("store(0x" + Long.toHexString(a) + ", 0x" + Integer.toHexString(v) + ")");
                L4.store(a, v);
            } else {
                begin("load(0x" + Long.toHexString(a) + ")");
                checkNotCanary(L4.load(a), a);
            }
        }

        /** A load of the canary address: this space's canary, anything but another's, or a fault. */
        private void canary() {
            begin("load(canary 0x" + Long.toHexString(CANARY_VA) + ")");
            sh.canaryLoads.incrementAndGet();
            int v = L4.load(CANARY_VA);
            if (v == CANARY_BASE + sh.spaceOf[me]) {
                sh.canaryOwn.incrementAndGet();
            }
            checkNotCanary(v, CANARY_VA);
        }

        private void checkNotCanary(int v, long a) {
            int mine = sh.spaceOf[me];
            if ((v & 0xFFFF_0000) == CANARY_BASE && (v & 0xFFFF) < sh.spaces && (v & 0xFFFF) != mine) {
                sh.fail(me, n, call, "read space " + (v & 0xFFFF) + "'s canary 0x" + Integer.toHexString(v) + " at 0x"
                        + Long.toHexString(a) + " from space " + mine + ", which never mapped it");
            }
        }

        private void info() {
            switch (random.nextInt(4)) {
                case 0 -> {
                    begin("kernelInfo()");
                    if (L4.kernelInfo() == null) {
                        throw new IllegalStateException("no kernel info page");
                    }
                }
                case 1 -> {
                    begin("processorNumber()");
                    int p = L4.indexOfProcessor(L4.processorNumber());
                    if (p < 0 || p >= sh.context.processors()) {
                        throw new IllegalStateException("processor number " + L4.processorNumber() + " names no processor that came up");
                    }
                }
                case 2 -> {
                    int off = random.nextInt(4) == 0 ? random.nextInt(256) : Utcb.PROCESSOR_NUMBER_OFFSET;
                    begin("utcbRead(" + off + ")");
                    L4.utcbRead(off);
                }
                default -> {
                    begin("myself/from/errorCode()");
                    L4.myself();
                    L4.from();
                    L4.errorCode();
                }
            }
        }

        /** Arguments the facade must refuse with an exception naming them. */
        private void badArguments() {
            switch (random.nextInt(6)) {
                case 0 -> {
                    long t = -1 - random.nextLong(Long.MAX_VALUE - 1);
                    begin("send(negative timeout " + t + ")");
                    L4.send(partner(), 0, t);
                }
                case 1 -> {
                    int i = random.nextBoolean() ? 64 + random.nextInt(1000) : -1 - random.nextInt(1000);
                    begin("setMr(" + i + ")");
                    L4.setMr(i, 0);
                }
                case 2 -> {
                    int control = (random.nextInt() | 1 << 10) & ~ExchangeRegisters.ALL;
                    begin("exchangeRegisters(unknown control 0x" + Integer.toHexString(control) + ")");
                    L4.exchangeRegisters(L4.myself(), control, 0, 0, 0, 0, ThreadId.NIL);
                }
                case 3 -> {
                    begin("send(to any)");
                    L4.send(ThreadId.ANY, 0, Timeout.ZERO);
                }
                case 4 -> {
                    int control = 0x80 | random.nextInt(1 << 20);
                    begin("unmap(control 0x" + Integer.toHexString(control) + ")");
                    L4.unmap(control);
                }
                default -> {
                    int i = random.nextBoolean() ? 34 + random.nextInt(100) : -1;
                    begin("setBr(" + i + ")");
                    L4.setBr(i, 0);
                }
            }
        }
    }
}
