package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.user.Sigma0;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.space.UnresolvedPageFault;
import l4smp.kernel.thread.ThreadId;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The soak (a profile, not in CI): clients on every CPU call servers on every CPU
 * while a chaos thread migrates clients and servers at random (8.7), aborts clients' IPC with
 * exchange-registers (8.4.3) and a pager revokes and re-maps pages the clients read (TLB
 * shootdown, 9.3). One operation is one completed call. The report shows every message
 * accounted for: zero lost, zero duplicated, zero stale reads, the kernel invariants hold.
 *
 * <p>Exactly-once accounting. Client {@code c} numbers its requests {@code 0, 1, 2, ...}; a
 * request's number advances only when the request was delivered: after a completed call, or
 * after a call that failed in its receive phase (the send phase completed: the server has it).
 * A call that failed in its send phase (aborted, or its partner moved) was not delivered and is
 * sent again with the same number. The server of {@code c} checks that each request it gets is
 * the one after the last it got from {@code c}: a repeat is a duplicate, a jump a lost message.
 * At the end every client's last request must be the server's last one from it.
 *
 * <p>The pager (its own space, CPU 0) maps {@code --pages} pages into the clients' space S and
 * revokes them in turn, as {@code unmap-storm} does: each page's first word holds the generation
 * of its mapping and a control page the last revoked generation; a client that reads a
 * generation not above the revoked one read through a stale TLB entry after {@code unmap}
 * returned ({@code stale_reads}, must be 0). A client that finds a page unmapped catches the
 * fault and goes on.
 */
public final class SoakScenario implements Scenario {

    static final long POOL = 0x4000_0000L;
    static final long SHARED = 0x1000_0000L;
    static final long CONTROL = 0x0F00_0000L;
    static final long PAGER_CONTROL = 0x3F00_0000L;
    /** The label of a request. */
    static final int REQUEST = 0x50;

    @Override
    public String name() {
        return "soak";
    }

    @Override
    public String description() {
        return "clients and servers on every CPU under random migrations, IPC aborts and unmaps: every message exactly once";
    }

    @Override
    public int defaultCpus() {
        return 8;
    }

    @Override
    public int minCpus() {
        return 2;
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("clients", 0, 0, 4096, "client threads (0: two per CPU)"),
                OptionSpec.longOption("servers", 0, 0, 4096, "server threads (0: one per CPU)"),
                OptionSpec.longOption("period", 20_000, 100, 100_000_000,
                        "simulated cycles between two actions of the chaos thread"),
                OptionSpec.longOption("aborts", 30, 0, 100, "percent of the chaos actions that abort a client's IPC"
                        + " (the others migrate a client or a server)"),
                OptionSpec.longOption("pages", 4, 0, 64, "pages the pager revokes and re-maps in turn (0: no unmaps)"),
                OptionSpec.longOption("unmap-period", 50_000, 100, 100_000_000,
                        "simulated cycles between two unmaps of the pager"));
    }

    @Override
    public void setup(ScenarioContext context) {
        int cpus = context.processors();
        int clients = context.options().getInt("clients");
        int servers = context.options().getInt("servers");
        clients = clients == 0 ? 2 * cpus : clients;
        servers = servers == 0 ? cpus : servers;
        long period = context.options().getLong("period");
        int abortPercent = context.options().getInt("aborts");
        int pages = context.options().getInt("pages");
        long unmapPeriod = context.options().getLong("unmap-period");
        if (clients > context.ops()) {
            throw new IllegalArgumentException("--clients " + clients + " exceeds --ops " + context.ops()
                    + ": every client needs at least one call");
        }
        Kernel kernel = context.kernel();
        Spaces spaces = kernel.spaces();
        Books books = new Books(clients);
        AddressSpace shared = spaces.createSpace("soak-shared");

        ThreadId[] serverIds = new ThreadId[servers];
        for (int s = 0; s < servers; s++) {
            serverIds[s] = kernel.createThread(ThreadSpec.daemon("server" + s, s % cpus, () -> serve(books)));
        }
        ThreadId[] clientIds = new ThreadId[clients];
        int nClients = clients;
        for (int c = 0; c < clients; c++) {
            int me = c;
            long share = context.ops() / clients + (c < context.ops() % clients ? 1 : 0);
            ThreadId server = serverIds[(c + 1) % servers]; // a server on another CPU, to begin with
            SingleWriterLatencyRecorder recorder = context.recorder("client" + c);
            clientIds[c] = spaces.createThread(ThreadSpec.of("client" + c, c % cpus, () -> {
                try {
                    client(context, books, me, server, share, pages, recorder);
                } finally {
                    books.clientsDone.incrementAndGet();
                }
            }), shared, ThreadId.NIL);
        }

        ThreadId[] pager = new ThreadId[2];
        if (pages > 0) {
            ThreadId sigma0 = spaces.startSigma0(0);
            // The helper of S takes the pager's map items on the pager's CPU; neither moves.
            pager[1] = spaces.createThread(ThreadSpec.daemon("s-helper", 0, () -> {
                while (true) {
                    L4.setBr(0, TypedItems.fpage(0, 32, 7));
                    L4.receive(pager[0]);
                }
            }), shared, ThreadId.NIL);
            pager[0] = spaces.createThread(ThreadSpec.daemon("pager", 0, () ->
                    revoke(books, pager[1], sigma0, pages, unmapPeriod, nClients)), spaces.createSpace("soak-pager"), sigma0);
        }

        long seed = context.config().seed() ^ 0x50AC_50AC_50ACL;
        // The chaos thread lives in S: exchange-registers addresses threads of the caller's space.
        spaces.createThread(ThreadSpec.of("chaos", cpus - 1, () -> {
            chaos(books, clientIds, serverIds, cpus, period, abortPercent, seed, nClients);
            report(context, books, nClients);
        }), shared, ThreadId.NIL);
    }

    /** A server: checks each request against the last one from its client and answers it. */
    private static void serve(Books books) {
        int tag = L4.waitAny();
        while (true) {
            if (MsgTag.isError(tag)) {
                tag = L4.waitAny(); // our reply found no waiting client (it was aborted): next request
                continue;
            }
            ThreadId client = L4.from();
            int c = (int) L4.mr(1);
            long seq = L4.mr(2);
            long last = books.lastReceived.get(c);
            if (seq == last + 1) {
                books.lastReceived.set(c, seq); // one server per client: a single writer
                books.delivered.incrementAndGet();
            } else if (seq <= last) {
                books.violation("client" + c + " request " + seq + " delivered again (last delivered " + last + ")");
                books.duplicates.incrementAndGet();
            } else {
                books.violation("client" + c + " request " + seq + " delivered after " + last + ": "
                        + (seq - last - 1) + " lost");
                books.lost.addAndGet(seq - last - 1);
                books.lastReceived.set(c, seq);
            }
            L4.setMr(1, c);
            L4.setMr(2, seq + 1);
            tag = L4.replyWait(client, MsgTag.make(REQUEST + 1, 2));
        }
    }

    /** A client: {@code share} completed calls; reads a shared page now and then. */
    private static void client(ScenarioContext context, Books books, int me, ThreadId server, long share, int pages,
                               SingleWriterLatencyRecorder recorder) {
        long seq = 0;
        long done = 0;
        while (done < share && !context.timeUp()) {
            L4.setMr(1, me);
            L4.setMr(2, seq);
            long c0 = L4.clock();
            long n0 = System.nanoTime();
            int tag = L4.call(server, MsgTag.make(REQUEST, 2));
            long n1 = System.nanoTime();
            long c1 = L4.clock();
            if (MsgTag.isError(tag)) {
                int word = L4.errorCode();
                if (IpcError.phase(word) == IpcError.PHASE_RECEIVE) {
                    books.receiveFailures.incrementAndGet();
                    seq++; // the send phase completed: the server has this request
                } else {
                    books.sendFailures.incrementAndGet(); // not delivered: the same request again
                }
                continue;
            }
            if (L4.mr(1) != me || L4.mr(2) != seq + 1) {
                books.violation("client" + me + " request " + seq + " got the reply (" + L4.mr(1) + ", " + L4.mr(2) + ")");
            }
            seq++;
            done++;
            recorder.record(c1 - c0, n1 - n0);
            if (pages > 0 && (done & 15) == 0) {
                readShared(books, (int) (done >>> 4) % pages);
            }
        }
        books.lastSent.set(me, seq - 1);
    }

    /** Reads page {@code p} of S: a generation not above the revoked one is a stale read. */
    private static void readShared(Books books, int p) {
        try {
            int revoked = L4.load(CONTROL + 4L * p);
            int seen = L4.load(SHARED + p * 4096L);
            books.pageReads.incrementAndGet();
            if (seen <= revoked) {
                books.staleReads.incrementAndGet();
                books.violation("stale read of page " + p + ": generation " + seen + ", revoked " + revoked);
            }
        } catch (UnresolvedPageFault unmappedNow) {
            books.pageFaults.incrementAndGet();
        }
    }

    /** The chaos thread: migrations and aborts until every client is done. */
    private static void chaos(Books books, ThreadId[] clients, ThreadId[] servers, int cpus, long period,
                              int abortPercent, long seed, int nClients) {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        while (books.clientsDone.get() < nClients) {
            L4.sleep(period / 2 + random.nextLong(period));
            if (random.nextInt(100) < abortPercent) {
                ThreadId victim = clients[random.nextInt(clients.length)];
                ExchangeRegisters.Result r = L4.exchangeRegisters(victim,
                        ExchangeRegisters.CANCEL_SEND | ExchangeRegisters.CANCEL_RECEIVE, 0, 0, 0, 0, ThreadId.NIL);
                (r.errorCode() == 0 ? books.aborts : books.abortsRefused).incrementAndGet();
            } else {
                int pick = random.nextInt(clients.length + servers.length);
                ThreadId victim = pick < clients.length ? clients[pick] : servers[pick - clients.length];
                int to = L4.processorOfIndex(random.nextInt(cpus));
                if (L4.migrate(victim, to) >= 0) {
                    books.migrations.incrementAndGet();
                } else {
                    books.migrationsRefused.incrementAndGet();
                    books.migrationErrors.incrementAndGet(Math.min(L4.errorCode(), 7));
                }
            }
        }
    }

    /** The pager: maps the pages into S, then revokes and re-maps them in turn. */
    private static void revoke(Books books, ThreadId helper, ThreadId sigma0, int pages, long period, int nClients) {
        for (int p = 0; p < pages; p++) {
            if (L4.sigma0Request(sigma0, Sigma0.ANY_PAGE, POOL + p * 4096L) == 0) {
                throw new IllegalStateException("sigma0 refused a page");
            }
        }
        if (L4.sigma0Request(sigma0, Sigma0.ANY_PAGE, PAGER_CONTROL) == 0) {
            throw new IllegalStateException("sigma0 refused the control page");
        }
        map(helper, PAGER_CONTROL, CONTROL);
        int[] generation = new int[pages];
        for (int p = 0; p < pages; p++) {
            generation[p] = 1;
            L4.store(POOL + p * 4096L, 1);
            map(helper, POOL + p * 4096L, SHARED + p * 4096L);
        }
        long n = 0;
        while (books.clientsDone.get() < nClients) {
            L4.sleep(period);
            int p = (int) (n++ % pages);
            L4.unmap(TypedItems.fpage(POOL + p * 4096L, 12, 7), false); // S loses the page
            books.unmaps.incrementAndGet();
            L4.store(PAGER_CONTROL + 4L * p, generation[p]); // generation g revoked
            generation[p]++;
            L4.store(POOL + p * 4096L, generation[p]);
            map(helper, POOL + p * 4096L, SHARED + p * 4096L);
        }
    }

    private static void map(ThreadId helper, long from, long to) {
        L4.setMr(1, TypedItems.mapItem(to));
        L4.setMr(2, TypedItems.fpage(from, 12, 7));
        if (MsgTag.isError(L4.send(helper, MsgTag.make(0, 0, 2)))) {
            throw new IllegalStateException("mapping to the shared space failed: " + IpcError.describe(L4.errorCode()));
        }
    }

    /** After the clients: every client's last request must be its server's last one; the report. */
    private static void report(ScenarioContext context, Books books, int nClients) {
        for (int c = 0; c < nClients; c++) {
            long sent = books.lastSent.get(c);
            long got = books.lastReceived.get(c);
            if (sent != got) {
                books.violation("client" + c + ": last request " + sent + ", its server's last " + got
                        + (sent > got ? " (lost)" : " (more than sent)"));
                if (sent > got) {
                    books.lost.addAndGet(sent - got);
                }
            }
        }
        context.putResult("requests_delivered", books.delivered.get());
        context.putResult("lost", books.lost.get());
        context.putResult("duplicated", books.duplicates.get());
        context.putResult("calls_failed_in_send_phase", books.sendFailures.get());
        context.putResult("calls_failed_in_receive_phase", books.receiveFailures.get());
        context.putResult("abort_requests", books.aborts.get());
        context.putResult("aborts_refused", books.abortsRefused.get());
        context.putResult("migrations", books.migrations.get());
        context.putResult("migrations_refused", books.migrationsRefused.get());
        java.util.Map<String, Long> byError = new java.util.TreeMap<>();
        for (int e = 0; e < 8; e++) {
            if (books.migrationErrors.get(e) > 0) {
                byError.put("error " + e, books.migrationErrors.get(e));
            }
        }
        context.putResult("migrations_refused_by_error", byError);
        context.putResult("unmaps", books.unmaps.get());
        context.putResult("page_reads", books.pageReads.get());
        context.putResult("page_faults", books.pageFaults.get());
        context.putResult("stale_reads", books.staleReads.get());
        long violations = books.violations.get();
        context.putResult("violations", violations);
        if (violations > 0) {
            throw new IllegalStateException(violations + " exactly-once violations, first: " + books.firstViolations);
        }
    }

    /** The host-side books of the run (the scenario's own checking, outside the simulation). */
    static final class Books {
        final AtomicLongArray lastReceived;
        final AtomicLongArray lastSent;
        final AtomicInteger clientsDone = new AtomicInteger();
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong lost = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong sendFailures = new AtomicLong();
        final AtomicLong receiveFailures = new AtomicLong();
        final AtomicLong aborts = new AtomicLong();
        final AtomicLong abortsRefused = new AtomicLong();
        final AtomicLong migrations = new AtomicLong();
        final AtomicLong migrationsRefused = new AtomicLong();
        /** Refused migrations by schedule's error code (1 no privilege, 2 unavailable, 5 invalid). */
        final java.util.concurrent.atomic.AtomicLongArray migrationErrors = new java.util.concurrent.atomic.AtomicLongArray(8);
        final AtomicLong unmaps = new AtomicLong();
        final AtomicLong pageReads = new AtomicLong();
        final AtomicLong pageFaults = new AtomicLong();
        final AtomicLong staleReads = new AtomicLong();
        final AtomicLong violations = new AtomicLong();
        final ConcurrentLinkedQueue<String> firstViolations = new ConcurrentLinkedQueue<>();

        Books(int clients) {
            lastReceived = new AtomicLongArray(clients);
            lastSent = new AtomicLongArray(clients);
            for (int c = 0; c < clients; c++) {
                lastReceived.set(c, -1);
                lastSent.set(c, -1);
            }
        }

        void violation(String what) {
            if (violations.incrementAndGet() <= 10) {
                firstViolations.add(what);
            }
        }
    }
}
