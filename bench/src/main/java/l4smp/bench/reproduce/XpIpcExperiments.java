package l4smp.bench.reproduce;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.cache.AttributionTags;
import l4smp.emulator.cache.MemoryEvent;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelConfig;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.FlagLine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cross-processor IPC rows of docs/thesis-claims.md, from live runs on deterministic machines
 * (lowest clock first: exact simulated timing). Nothing here names a target: the figures come
 * out of the accounting layer and the kernel's real paths.
 *
 * <ul>
 *   <li>D3 (8.3.4): the kernel's check_n_ack at kernel exit when nothing is pending, in
 *       cycles; and {@link FlagLine}'s set and check between two CPUs, in line transfers
 *       (accesses served over the bus) per trigger on each side.</li>
 *   <li>D4 (8.3.2): a string of n bytes, written by the sender, sent to a waiting receiver,
 *       which then reads it: misses with MESI traffic on the user buffers, copy on the
 *       receiver's CPU (the kernel's default) against copy on the sender's CPU
 *       ({@link KernelConfig#withCopyOnSender}).</li>
 *   <li>D6 (8.6): coherence misses on TCB lines per cross-processor round trip, grouped layout
 *       (Table 3) against the declaration order of an unoptimised TCB, at 32- and 64-byte
 *       lines.</li>
 *   <li>D8 (3.3.1, 8.3.3): two kernel CPUs call a server on CPU 0 while three more flood it
 *       with IPIs: the kernel's IPIs wait for a LINT slot, CPU 0's APIC never holds a third,
 *       every call completes.</li>
 * </ul>
 */
public final class XpIpcExperiments {

    private XpIpcExperiments() {
    }

    // =========================================================================================
    // D3: polling the packed flags, and a trigger
    // =========================================================================================

    /** Result of the D3 run. */
    public record PollResult(double emptyCheckCycles, double senderTransfersPerTrigger,
                             double receiverTransfersPerTrigger, int triggers) {
    }

    /**
     * Rows D3. The poll: the kernel's own check_n_ack at every kernel exit of CPU 1 (8.3.4),
     * whose thread makes system calls that find no mailbox pending (256 flags in one line, 8.3.4:
     * 8 dwords that hit in the L1, 8 x 0.98 cycles by Table 1). The triggers: the kernel's
     * {@link FlagLine} set and check between two CPUs, counted in line transfers.
     */
    public static List<ReproduceRow> d3(CostModel model) {
        PollResult r = pollFlags(model, 32);
        double check = emptyKernelCheck(model);
        List<ReproduceRow> rows = new ArrayList<>();
        rows.add(ReproduceRow.within("D3", ReproduceRow.Kind.PATH, "kernel check_n_ack at exit, 256 flags, none",
                "8.3.4 (about 8)", 8, check, 0.10, "cycles"));
        rows.add(ReproduceRow.within("D3", ReproduceRow.Kind.PATH, "trigger: line transfers to the sender",
                "8.3.4 (one each way)", 1, r.senderTransfersPerTrigger, 0.05, "lines"));
        rows.add(ReproduceRow.within("D3", ReproduceRow.Kind.PATH, "trigger: line transfers to the receiver",
                "8.3.4 (one each way)", 1, r.receiverTransfersPerTrigger, 0.05, "lines"));
        return rows;
    }

    /**
     * Cycles of one check_n_ack of the kernel that finds nothing: the difference of two runs
     * (100 and 300 system calls on CPU 1), so the first check's fetch of the line from memory
     * cancels out.
     */
    public static double emptyKernelCheck(CostModel model) {
        long[] small = kernelChecks(model, 100);
        long[] large = kernelChecks(model, 300);
        return (double) (large[1] - small[1]) / (large[0] - small[0]);
    }

    /** {checks, cycles} of CPU 1's check_n_ack when its thread makes {@code calls} system calls. */
    static long[] kernelChecks(CostModel model, int calls) {
        Machine machine = new Machine(MachineConfig.builder().cpus(2).costModel(model).deterministic(1).build());
        Kernel kernel = Kernel.boot(machine);
        kernel.createThread(ThreadSpec.of("caller", 1, () -> {
            ThreadId me = L4.myself();
            for (int i = 0; i < calls; i++) {
                L4.threadSwitch(me); // a kernel entry and exit with nothing to do
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok() || !kernel.failures().isEmpty()) {
            throw new IllegalStateException("D3 kernel check failed: " + outcome.failure() + " " + kernel.failures());
        }
        return kernel.statistics().mailboxChecks(1);
    }

    /** CPU 0 sets one flag per round; CPU 1 polls the line continuously. */
    public static PollResult pollFlags(CostModel model, int triggers) {
        Machine machine = new Machine(MachineConfig.builder().cpus(2).costModel(model).deterministic(1).build());
        long line = machine.kernelRegion().allocateBytes(4L * FlagLine.WORDS, AttributionTags.MAILBOX);
        AtomicInteger handled = new AtomicInteger();
        AtomicInteger triggered = new AtomicInteger();
        long[] empty = new long[2]; // cycles, checks
        machine.cpu(0).install(new Dispatcher() {
            private int sent;
            private CpuXcpuMemory mem;

            @Override
            public int doWork(Cpu cpu) {
                if (mem == null) {
                    mem = new CpuXcpuMemory(cpu);
                }
                if (sent == triggers) {
                    return 0;
                }
                int expect = sent;
                cpu.spinWaitUntil(() -> handled.get() == expect, "the previous trigger handled");
                cpu.advance(2000); // the receiver polls a while between triggers
                FlagLine.set(mem, line, (sent * 37) % FlagLine.BITS);
                triggered.incrementAndGet();
                sent++;
                return 1;
            }

            @Override
            public void onInterrupt(Cpu cpu, Interrupt interrupt) {
            }

            @Override
            public long nextEvent(Cpu cpu) {
                return NO_EVENT;
            }
        });
        machine.cpu(1).install(new Dispatcher() {
            private CpuXcpuMemory mem;
            private int checks;

            @Override
            public int doWork(Cpu cpu) {
                if (mem == null) {
                    mem = new CpuXcpuMemory(cpu);
                }
                long t0 = cpu.clock();
                int before = triggered.get();
                int found = FlagLine.checkAndAck(mem, line, bit -> { });
                long dt = cpu.clock() - t0;
                checks++;
                if (found > 0) {
                    if (handled.incrementAndGet() == triggers) {
                        cpu.machine().requestStop("D3 done");
                    }
                } else if (checks > 4 && triggered.get() == before) {
                    // An empty check during which no trigger landed (one that a trigger hit
                    // part-way finds its flag at the next check, and counts as a trigger's).
                    empty[0] += dt;
                    empty[1]++;
                }
                cpu.advance(50); // the rest of the kernel exit path
                return 1;
            }

            @Override
            public void onInterrupt(Cpu cpu, Interrupt interrupt) {
            }

            @Override
            public long nextEvent(Cpu cpu) {
                return NO_EVENT;
            }
        });
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok()) {
            throw new IllegalStateException("D3 failed: " + outcome.failure());
        }
        var mem = machine.memorySystem();
        // The first set and the first read fetch the line from memory: not a transfer between CPUs.
        double sender = (mem.countOpaque(0, MemoryEvent.MEMORY_FILLS) - 1) / (double) (triggers - 1);
        double receiver = (mem.countOpaque(1, MemoryEvent.MEMORY_FILLS) - 1) / (double) (triggers - 1);
        return new PollResult((double) empty[0] / empty[1], sender, receiver, triggers);
    }

    // =========================================================================================
    // D4: active receiver against active sender
    // =========================================================================================

    /** Rows D4 for several n. */
    public static List<ReproduceRow> d4(CostModel model) {
        List<ReproduceRow> rows = new ArrayList<>();
        int c = model.lineBytes();
        for (int n : new int[] {64, 256, 1024, 4096}) {
            long receiver = copyMisses(model, n, false);
            long sender = copyMisses(model, n, true);
            rows.add(ReproduceRow.within("D4", ReproduceRow.Kind.EMERGENT, "n=" + n + ": MESI misses, receiver copies", "8.3.2 (n/c+1)",
                    n / c + 1, receiver, 0.10, "misses"));
            rows.add(ReproduceRow.within("D4", ReproduceRow.Kind.EMERGENT, "n=" + n + ": MESI misses, sender copies", "8.3.2 (2n/c+2)",
                    2 * (n / c) + 2, sender, 0.10, "misses"));
        }
        return rows;
    }

    /**
     * A sender on CPU 0 writes n bytes and sends them as a string to a receiver on CPU 1 that
     * already waits (and used its receive buffer before); the receiver then reads them. Returns
     * the coherence misses on the user buffers (both CPUs): the copy and the use.
     */
    public static long copyMisses(CostModel model, int n, boolean copyOnSender) {
        Machine machine = new Machine(MachineConfig.builder().cpus(2).costModel(model).deterministic(1).build());
        Kernel kernel = Kernel.boot(machine, KernelConfig.DEFAULT.withCopyOnSender(copyOnSender));
        long src = 0x40_004; // not line-aligned: n bytes span n/c + 1 lines
        long dst = 0x80_004;
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (i * 7);
        }
        AtomicLong ok = new AtomicLong();
        ThreadId receiver = kernel.createThread(ThreadSpec.of("receiver", 1, () -> {
            L4.writeBytes(dst, new byte[n]); // the receive buffer is in use on this CPU
            L4.setBr(0, TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, TypedItems.stringItem(dst, n));
            L4.setBr(2, dst);
            int tag = L4.receive(ThreadId.ANY);
            if (!MsgTag.isError(tag) && java.util.Arrays.equals(L4.readBytes(dst, n), data)) {
                ok.set(1);
            }
        }));
        kernel.createThread(ThreadSpec.of("sender", 0, () -> {
            L4.writeBytes(src, data);
            L4.sleep(20_000); // the receiver waits by now
            L4.setMr(1, TypedItems.stringItem(src, n));
            L4.setMr(2, src);
            int tag = L4.send(receiver, MsgTag.make(1, 0, 2));
            if (MsgTag.isError(tag)) {
                throw new IllegalStateException("D4 send failed: " + IpcError.describe(L4.errorCode()));
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok() || !kernel.failures().isEmpty() || ok.get() != 1) {
            throw new IllegalStateException("D4 failed: " + outcome.failure() + " " + kernel.failures());
        }
        long[] untagged = machine.memorySystem().attributionReportOpaque().get(AttributionTags.UNTAGGED);
        return untagged == null ? 0 : untagged[0];
    }

    // =========================================================================================
    // D6: TCB layouts
    // =========================================================================================

    /**
     * The thesis's PIII memory system with {@code lineBytes}-byte lines (same costs per line):
     * isolates the line width from the other figures of a preset.
     */
    public static CostModel withLineBytes(CostModel model, int lineBytes) {
        CostModel.MemoryHierarchy m = model.memory();
        return model.withMemory(new CostModel.MemoryHierarchy(lineBytes, m.l1Bytes(), m.l1Ways(), m.l2Bytes(),
                m.l2Ways(), m.tlbEntries(), m.tlbWays(), m.l1HitCenti(), m.l2HitCenti(), m.memoryCenti(),
                m.eToSCenti(), m.eToMCenti(), m.mToSCenti(), m.mToMCenti(), m.sToMCenti(), m.sharedFillCenti(),
                m.evictionWritebackCenti(), m.busLockCenti(), m.tlbMissCenti()));
    }

    /**
     * Rows D6: TCB coherence misses per XP round trip, grouped (Table 3) against the declaration
     * order of an unoptimised TCB ({@link TcbLayout#NAIVE}), at 32-byte lines (Table 3's width:
     * the thesis's claim, judged) and at 64-byte lines (footnote 17: P4; the thesis claims
     * nothing for them, so the figures are reported, whichever way they go).
     */
    public static List<ReproduceRow> d6(CostModel model) {
        List<ReproduceRow> rows = new ArrayList<>();
        for (int line : new int[] {32, 64}) {
            CostModel m = withLineBytes(model, line);
            double grouped = tcbMissesPerRoundTrip(m, TcbLayout.GROUPED, 100);
            double naive = tcbMissesPerRoundTrip(m, TcbLayout.NAIVE, 100);
            String claim = String.format(java.util.Locale.ROOT, "TCB misses/XP round trip, %d B lines: grouped vs naive (%.2f)",
                    line, naive);
            if (line == 32) {
                rows.add(new ReproduceRow("D6", ReproduceRow.Kind.EMERGENT, claim, "8.6, Table 3 (fewer)",
                        Double.NaN, grouped, grouped / naive, grouped < naive, "misses"));
            } else {
                rows.add(new ReproduceRow("D6", ReproduceRow.Kind.EMERGENT, claim, "8.6 fn. 17 (no claim)",
                        Double.NaN, grouped, grouped / naive, ReproduceRow.Verdict.NOT_COMPARED, "misses", false));
            }
        }
        return rows;
    }

    /** Coherence misses on TCB lines per cross-processor call/reply round trip. */
    public static double tcbMissesPerRoundTrip(CostModel model, TcbLayout layout, int rounds) {
        XpRun run = crossPingPong(model, KernelConfig.DEFAULT.withTcbLayout(layout), rounds, 1);
        long misses = 0;
        for (Map.Entry<String, long[]> e : run.machine.memorySystem().attributionReportOpaque().entrySet()) {
            String tag = e.getKey();
            if (tag.equals(AttributionTags.TCB_LOCAL) || tag.equals(AttributionTags.TCB_GLOBAL)
                    || tag.equals(Kernel.TCB_NAIVE_TAG)) {
                misses += e.getValue()[0];
            }
        }
        return (double) misses / rounds;
    }

    /** A finished cross-processor ping-pong: its machine, kernel and client-side timings. */
    public record XpRun(Machine machine, Kernel kernel, int rounds, long cycles, long[] hostNanos) {
    }

    /**
     * A client on CPU 0 calls a server on CPU 1 {@code rounds} times (after {@code warmup}
     * unmeasured calls); returns the run with the client's total simulated cycles and each
     * call's host nanoseconds.
     */
    public static XpRun crossPingPong(CostModel model, KernelConfig config, int rounds, int warmup) {
        return crossPingPong(MachineConfig.builder().cpus(2).costModel(model).deterministic(1).build(),
                config, rounds, warmup);
    }

    public static XpRun crossPingPong(MachineConfig machineConfig, KernelConfig config, int rounds, int warmup) {
        return pingPong(machineConfig, config, 1, rounds, warmup);
    }

    /**
     * A client on CPU 0 calls a server on CPU {@code serverCpu} (0: a local round trip, 1: a
     * cross-processor one) {@code warmup + rounds} times; the last {@code rounds} calls' cycles
     * and host nanoseconds are kept.
     */
    static XpRun pingPong(MachineConfig machineConfig, KernelConfig config, int serverCpu, int rounds, int warmup) {
        Machine machine = new Machine(machineConfig);
        Kernel kernel = Kernel.boot(machine, config);
        long[] cycles = new long[1];
        long[] nanos = new long[rounds];
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", serverCpu, () -> {
            L4.waitAny();
            while (true) {
                L4.setMr(1, L4.mr(1) + 1);
                L4.replyWait(L4.from(), MsgTag.make(0, 1));
            }
        }));
        kernel.createThread(ThreadSpec.of("client", 0, () -> {
            for (int i = 0; i < warmup + rounds; i++) {
                L4.setMr(1, i);
                long c0 = L4.clock();
                long n0 = System.nanoTime();
                int tag = L4.call(server, MsgTag.make(1, 1));
                long n1 = System.nanoTime();
                long c1 = L4.clock();
                if (MsgTag.isError(tag) || L4.mr(1) != i + 1) {
                    throw new IllegalStateException("call failed: " + IpcError.describe(L4.errorCode()));
                }
                if (i >= warmup) {
                    cycles[0] += c1 - c0;
                    nanos[i - warmup] = n1 - n0;
                }
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok() || !kernel.failures().isEmpty()) {
            throw new IllegalStateException("ping-pong failed: " + outcome.failure() + " " + kernel.failures());
        }
        return new XpRun(machine, kernel, rounds, cycles[0], nanos);
    }

    // =========================================================================================
    // D8: a flood of cross-processor requests with two LINT slots
    // =========================================================================================

    /**
     * Result of the D8 flood: whether every call completed, the calls, the kernel's XCPU IPIs,
     * how often a kernel CPU's IPI waited for a LINT slot of the target, how often the flooders'
     * did, and the most un-acknowledged IPIs the target's APIC held when a flooder looked.
     */
    public record FloodResult(boolean completed, long calls, long xcpuIpis, long kernelLintWaits,
                              long flooderLintWaits, int maxSlotsOutstanding) {
    }

    /** Kernel CPUs of the D8 flood whose clients call the target's server. */
    public static final int FLOOD_CALLERS = 2;
    /** CPUs that flood the target with probe IPIs besides them. */
    public static final int FLOODERS = 3;

    /**
     * Rows D8 (3.3.1, 8.3.3): CPU 0's server is called by two clients on each of CPUs 1 and 2,
     * with the latency bound 0 (every trigger that may need an IPI sends one), while CPUs 3..5
     * send it probe IPIs back to back: five CPUs flood one target. The kernel's XCPU path keeps
     * at most one IPI per destination outstanding (8.3.4's "if not yet acknowledged"), so its
     * own IPIs alone can never fill the two LINT slots; the flooders do. The claims: the
     * kernel's IPIs do wait for a slot (the slots are exhausted), the target's APIC never holds
     * a third, and every call completes (no lock is held across the wait: 8.3.3). None of this
     * rests on a thesis figure: judged under every preset.
     */
    public static List<ReproduceRow> d8(CostModel model) {
        FloodResult r = flood(model, FLOOD_CALLERS, 2, 20, FLOODERS);
        long expected = (long) FLOOD_CALLERS * 2 * 20;
        return List.of(
                new ReproduceRow("D8", ReproduceRow.Kind.EMERGENT,
                        (FLOOD_CALLERS + FLOODERS) + " CPUs flood CPU 0: XP calls completed", "8.3.3 (no deadlock)",
                        expected, r.calls, (double) r.calls / expected, r.completed, "calls").anyPreset(),
                new ReproduceRow("D8", ReproduceRow.Kind.EMERGENT,
                        String.format(java.util.Locale.ROOT, "kernel IPIs that waited for a LINT slot (max %d held)",
                                r.maxSlotsOutstanding),
                        "3.3.1 (2 slots)", Double.NaN, r.kernelLintWaits, (double) r.kernelLintWaits / r.xcpuIpis,
                        exhausted(r), "waits").anyPreset());
    }

    /** The second D8 claim: the slots were exhausted for the kernel, never a third held, every call done. */
    public static boolean exhausted(FloodResult r) {
        return r.completed && r.kernelLintWaits > 0 && r.maxSlotsOutstanding <= l4smp.emulator.apic.LocalApic.LINT_SLOTS;
    }

    /**
     * CPU 0 runs a server; each of CPUs 1..{@code callers} runs {@code clientsPerCpu} clients
     * that call it {@code rounds} times each with the latency bound 0; CPUs after them (
     * {@code flooders} of them) send CPU 0 probe IPIs back to back until the clients are done.
     * Deterministic, random interleavings.
     */
    public static FloodResult flood(CostModel model, int callers, int clientsPerCpu, int rounds, int flooders) {
        int cpus = 1 + callers + flooders;
        Machine machine = new Machine(MachineConfig.builder().cpus(cpus).costModel(model).deterministic(8)
                .strategy(l4smp.emulator.ScheduleStrategy.RANDOM).build());
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        int[] maxHeld = new int[1];
        for (int f = 0; f < flooders; f++) {
            machine.cpu(1 + callers + f).install(new Flooder(done, maxHeld));
        }
        Kernel kernel = Kernel.boot(machine, KernelConfig.DEFAULT.withXcpuMaxLatency(0));
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                tag = MsgTag.isError(tag) ? L4.waitAny() : L4.replyWait(L4.from(), MsgTag.make(0, 1));
            }
        }));
        AtomicLong calls = new AtomicLong();
        AtomicInteger running = new AtomicInteger(callers * clientsPerCpu);
        for (int c = 1; c <= callers; c++) {
            for (int k = 0; k < clientsPerCpu; k++) {
                kernel.createThread(ThreadSpec.of("client" + c + "." + k, c, () -> {
                    try {
                        for (int i = 0; i < rounds; i++) {
                            L4.setMr(1, i);
                            int tag = L4.call(server, MsgTag.make(1, 1));
                            if (MsgTag.isError(tag)) {
                                throw new IllegalStateException("flood call failed: " + IpcError.describe(L4.errorCode()));
                            }
                            calls.incrementAndGet();
                        }
                    } finally {
                        if (running.decrementAndGet() == 0) {
                            done.set(true);
                        }
                    }
                }));
            }
        }
        Machine.RunOutcome outcome = machine.run();
        boolean completed = outcome.ok() && kernel.failures().isEmpty()
                && calls.get() == (long) callers * clientsPerCpu * rounds;
        long kernelWaits = 0;
        for (int c = 0; c <= callers; c++) {
            kernelWaits += machine.counterSnapshot(c).getOrDefault(Machine.C_LINT_WAITS, 0L);
        }
        long flooderWaits = machine.counterTotal(Machine.C_LINT_WAITS) - kernelWaits;
        return new FloodResult(completed, calls.get(), machine.counterTotal(Kernel.C_XCPU_IPIS), kernelWaits,
                flooderWaits, maxHeld[0]);
    }

    /** A CPU that sends CPU 0 probe IPIs back to back until {@code done}, noting the slots held. */
    private static final class Flooder implements Dispatcher {
        /** A bound on the IPIs of one flooder (the clients finish long before). */
        private static final int MAX_IPIS = 20_000;
        private final java.util.concurrent.atomic.AtomicBoolean done;
        private final int[] maxHeld;
        private int sent;

        Flooder(java.util.concurrent.atomic.AtomicBoolean done, int[] maxHeld) {
            this.done = done;
            this.maxHeld = maxHeld;
        }

        @Override
        public int doWork(Cpu cpu) {
            if (done.get() || sent == MAX_IPIS) {
                return 0;
            }
            cpu.sendIpi(1L, Kernel.PROBE_VECTOR);
            sent++;
            int held = cpu.machine().cpu(0).apic().occupiedSlotsAcquire();
            synchronized (maxHeld) {
                maxHeld[0] = Math.max(maxHeld[0], held);
            }
            return 1;
        }

        @Override
        public void onInterrupt(Cpu cpu, Interrupt interrupt) {
        }

        @Override
        public long nextEvent(Cpu cpu) {
            return NO_EVENT;
        }
    }

    /** Every row of this file. */
    public static List<ReproduceRow> all(CostModel model) {
        List<ReproduceRow> rows = new ArrayList<>();
        rows.addAll(d3(model));
        rows.addAll(d4(model));
        rows.addAll(d6(model));
        rows.addAll(d8(model));
        return rows;
    }
}
