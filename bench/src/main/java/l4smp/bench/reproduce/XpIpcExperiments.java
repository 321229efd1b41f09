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
 *   <li>D3 (8.3.4): one CPU polls its packed flag line ({@link FlagLine#checkAndAck}, the
 *       kernel's check_n_ack) while another sets flags: cycles of a check that finds nothing,
 *       and line transfers (accesses served over the bus) per trigger on each side.</li>
 *   <li>D4 (8.3.2): a string of n bytes, written by the sender, sent to a waiting receiver,
 *       which then reads it: misses with MESI traffic on the user buffers, copy on the
 *       receiver's CPU (the kernel's default) against copy on the sender's CPU
 *       ({@link KernelConfig#withCopyOnSender}).</li>
 *   <li>D6 (8.6): coherence misses on TCB lines per cross-processor round trip, grouped layout
 *       (Table 3) against a naive field order.</li>
 *   <li>D8 (3.3.1, 8.3.3): a flood of cross-processor calls among four CPUs, IPIs sent with no
 *       latency slack: every call completes, nothing deadlocks, and the XCPU path never has
 *       more than one IPI per destination outstanding.</li>
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

    /** Rows D3. */
    public static List<ReproduceRow> d3(CostModel model) {
        PollResult r = pollFlags(model, 32);
        List<ReproduceRow> rows = new ArrayList<>();
        rows.add(ReproduceRow.within("D3", "poll 256 packed flags, none pending", "8.3.4 (about 8)",
                8, r.emptyCheckCycles, 0.10, "cycles"));
        rows.add(ReproduceRow.within("D3", "trigger: line transfers to the sender", "8.3.4 (one each way)",
                1, r.senderTransfersPerTrigger, 0.05, "lines"));
        rows.add(ReproduceRow.within("D3", "trigger: line transfers to the receiver", "8.3.4 (one each way)",
                1, r.receiverTransfersPerTrigger, 0.05, "lines"));
        return rows;
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
            rows.add(ReproduceRow.within("D4", "n=" + n + ": MESI misses, receiver copies", "8.3.2 (n/c+1)",
                    n / c + 1, receiver, 0.10, "misses"));
            rows.add(ReproduceRow.within("D4", "n=" + n + ": MESI misses, sender copies", "8.3.2 (2n/c+2)",
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

    /** Row D6. */
    public static List<ReproduceRow> d6(CostModel model) {
        double grouped = tcbMissesPerRoundTrip(model, TcbLayout.GROUPED, 100);
        double naive = tcbMissesPerRoundTrip(model, TcbLayout.NAIVE, 100);
        return List.of(
                new ReproduceRow("D6", "TCB coherence misses / XP round trip, grouped", "8.6, Table 3",
                        Double.NaN, grouped, grouped / naive, grouped < naive, "misses"),
                new ReproduceRow("D6", "TCB coherence misses / XP round trip, naive", "8.6 (more than grouped)",
                        Double.NaN, naive, naive / grouped, naive > grouped, "misses"));
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
        Machine machine = new Machine(machineConfig);
        Kernel kernel = Kernel.boot(machine, config);
        long[] cycles = new long[1];
        long[] nanos = new long[rounds];
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 1, () -> {
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
                    throw new IllegalStateException("XP call failed: " + IpcError.describe(L4.errorCode()));
                }
                if (i >= warmup) {
                    cycles[0] += c1 - c0;
                    nanos[i - warmup] = n1 - n0;
                }
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok() || !kernel.failures().isEmpty()) {
            throw new IllegalStateException("XP ping-pong failed: " + outcome.failure() + " " + kernel.failures());
        }
        return new XpRun(machine, kernel, rounds, cycles[0], nanos);
    }

    // =========================================================================================
    // D8: a flood of cross-processor requests with two LINT slots
    // =========================================================================================

    /** Result of the D8 flood. */
    public record FloodResult(boolean completed, long calls, long xcpuIpis, long lintWaits, long ipisSaved) {
    }

    /** Row D8. */
    public static List<ReproduceRow> d8(CostModel model) {
        FloodResult r = flood(model, 4, 3, 30);
        return List.of(
                new ReproduceRow("D8", "XP flood, 4 CPUs: calls completed", "8.3.3 (never a 3rd slot)",
                        Double.NaN, r.calls, r.completed ? 1 : 0, r.completed, "calls"),
                new ReproduceRow("D8", "XP flood: waits for a LINT slot", "3.3.1 (2 slots)",
                        Double.NaN, r.lintWaits, r.xcpuIpis, r.completed, "waits"));
    }

    /**
     * Every CPU runs a server and {@code clientsPerCpu} clients; each client calls the servers
     * of the other CPUs in turn, {@code rounds} times, with the latency bound 0 (every trigger
     * that may need one sends an IPI). Deterministic, random interleavings.
     */
    public static FloodResult flood(CostModel model, int cpus, int clientsPerCpu, int rounds) {
        Machine machine = new Machine(MachineConfig.builder().cpus(cpus).costModel(model).deterministic(8)
                .strategy(l4smp.emulator.ScheduleStrategy.RANDOM).build());
        Kernel kernel = Kernel.boot(machine, KernelConfig.DEFAULT.withXcpuMaxLatency(0));
        ThreadId[] servers = new ThreadId[cpus];
        for (int c = 0; c < cpus; c++) {
            servers[c] = kernel.createThread(ThreadSpec.daemon("server" + c, c, () -> {
                int tag = L4.waitAny();
                while (true) {
                    tag = MsgTag.isError(tag) ? L4.waitAny() : L4.replyWait(L4.from(), MsgTag.make(0, 1));
                }
            }));
        }
        AtomicLong calls = new AtomicLong();
        for (int c = 0; c < cpus; c++) {
            for (int k = 0; k < clientsPerCpu; k++) {
                int cpu = c;
                kernel.createThread(ThreadSpec.of("client" + c + "." + k, c, () -> {
                    for (int i = 0; i < rounds; i++) {
                        ThreadId to = servers[(cpu + 1 + i % (cpus - 1)) % cpus];
                        L4.setMr(1, i);
                        int tag = L4.call(to, MsgTag.make(1, 1));
                        if (MsgTag.isError(tag)) {
                            throw new IllegalStateException("flood call failed: " + IpcError.describe(L4.errorCode()));
                        }
                        calls.incrementAndGet();
                    }
                }));
            }
        }
        Machine.RunOutcome outcome = machine.run();
        boolean completed = outcome.ok() && kernel.failures().isEmpty()
                && calls.get() == (long) cpus * clientsPerCpu * rounds;
        return new FloodResult(completed, calls.get(), machine.counterTotal(Kernel.C_XCPU_IPIS),
                machine.counterTotal(Machine.C_LINT_WAITS), machine.counterTotal(Kernel.C_XCPU_IPIS_SAVED));
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
