package l4smp.bench.reproduce;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelConfig;
import l4smp.emulator.trace.EventKind;
import l4smp.emulator.trace.EventLog;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.thread.ThreadId;

import java.util.ArrayList;
import java.util.List;

/**
 * The IPI experiments of thesis 3.3.1, run on a deterministic two-CPU machine (lowest clock
 * first, so the simulated timing is exact), and the rows C3 and D1 of docs/thesis-claims.md.
 *
 * <ul>
 *   <li>C3, delivery: A writes the ICR; B polls its IRR with interrupts disabled and, when the
 *       request shows, copies it into a memory line that A polls. A measures from the ICR write
 *       to seeing the line change (the thesis measured 1230-1250 cycles this way). The figure
 *       emerges from the IPI delivery, the IRR polls and the two line transfers of the
 *       accounting layer.</li>
 *   <li>C3, kernel entry and exit: a user thread times a system call that does nothing.</li>
 *   <li>D1: A triggers B's kernel through its XCPU vector, where the kernel runs a thread that
 *       only computes: when the kernel's handler runs after the ICR write, what the thread loses
 *       per IPI, the share of B's cycles lost at the highest rate (A triggers when B acknowledged
 *       the previous IPI) and at one IPI per 100 us.</li>
 * </ul>
 */
public final class IpiExperiments {

    /** Physical address of the line B copies the IRR into. */
    private static final long FLAG = 0x10_000;
    private static final int ROUNDS = 32;
    private static final int VECTOR = 0x60;

    private IpiExperiments() {
    }

    /** Rows C3: IPI delivery measured with polling, and kernel entry plus exit. */
    public static List<ReproduceRow> c3(CostModel model) {
        List<ReproduceRow> rows = new ArrayList<>();
        rows.add(ReproduceRow.within("C3", ReproduceRow.Kind.CALIBRATION, "IPI: ICR write to detection, polling", "3.3.1 (1230-1250)",
                1240, pollingDelivery(model), 0.05, "cycles"));
        double entryExit = nullSystemCall(model);
        rows.add(new ReproduceRow("C3", ReproduceRow.Kind.CALIBRATION, "kernel entry + exit (null system call)", "3.3.1 (120-160 + 170-250)",
                350, entryExit, entryExit / 350, entryExit >= 290 && entryExit <= 410, "cycles"));
        return rows;
    }

    /**
     * The loss per IPI that 3.3.1 and 8.3.4 imply for the kernel's XCPU handler, stated before
     * measuring: kernel entry plus exit, 290-410 cycles (3.3.1: "120 to 160" plus "170 to 250");
     * the handler's clear of the "IPI not yet acknowledged" word, which the sender set, so a
     * write of a line modified in the other cache, 89.39 (Table 2, M to M); its check_n_ack of
     * the empty flag line and the one at the kernel exit, 2 x 8 x 0.98 (8.3.4, Table 1).
     */
    static final double LOSS_LOW = 120 + 170 + 89.39 + 2 * 8 * 0.98;
    static final double LOSS_HIGH = 160 + 250 + 89.39 + 2 * 8 * 0.98;

    /**
     * Rows D1, through the kernel: CPU A triggers CPU B as the XP send path does (it sets B's
     * "not yet acknowledged" word and sends the XCPU vector), B runs the kernel's XCPU handler
     * (8.3.4 ipi_handler: EOI, clear the word, check_n_ack) while an L4 thread computes there.
     * When the handler runs after the ICR write, what the thread loses per IPI (its lost
     * cycles), the share of B's cycles lost at the highest rate (A triggers again when B
     * acknowledged) and at one IPI per 100 us.
     */
    public static List<ReproduceRow> d1(CostModel model) {
        List<ReproduceRow> rows = new ArrayList<>();
        ProbeRun fastest = probeRun(model, 0, 200);
        rows.add(ReproduceRow.within("D1", ReproduceRow.Kind.PATH, "XCPU handler runs after the ICR write",
                "3.3.1 (about 1200)", 1200, fastest.handlerDelay, 0.10, "cycles"));
        double mid = (LOSS_LOW + LOSS_HIGH) / 2;
        rows.add(new ReproduceRow("D1", ReproduceRow.Kind.PATH, "thread loses per XCPU IPI (kernel handler)",
                "3.3.1, 8.3.4 (395-515)", mid, fastest.lossPerIpi, fastest.lossPerIpi / mid,
                fastest.lossPerIpi >= LOSS_LOW && fastest.lossPerIpi <= LOSS_HIGH, "cycles"));
        rows.add(new ReproduceRow("D1", ReproduceRow.Kind.PATH, "share of cycles to IPIs, highest rate",
                "3.3.1 (about a third)", 1.0 / 3, fastest.overhead, fastest.overhead * 3,
                fastest.overhead >= 0.25 && fastest.overhead <= 0.40, "fraction"));
        // 3.3.1's conclusion ("not more frequently than once per 100 us to get no more overhead
        // than 1%") rests on its arithmetic: the interruption per IPI over the period. With the
        // loss range above, the share at one IPI per 100 us is LOSS_LOW/period .. LOSS_HIGH/period
        // (0.88% .. 1.14% on the PIII): the kernel's handler work (8.3.4) can take it past 1%.
        long period = model.microsToCycles(100);
        ProbeRun slow = probeRun(model, period, 20);
        double low = LOSS_LOW / period;
        double high = LOSS_HIGH / period;
        rows.add(new ReproduceRow("D1", ReproduceRow.Kind.PATH, "share of cycles to IPIs, 1 per 100 us",
                "3.3.1 (loss/100 us; ~1%)", 0.01, slow.overhead, slow.overhead / 0.01,
                slow.overhead >= low && slow.overhead <= high, "fraction"));
        return rows;
    }

    // ---- C3: delivery by polling ----------------------------------------------------------------

    static double pollingDelivery(CostModel model) {
        Machine machine = new Machine(MachineConfig.builder().cpus(2).costModel(model).deterministic(1).build());
        long[] total = new long[1];
        machine.cpu(0).install(new PollingSender(total));
        machine.cpu(1).install(new IrrPoller());
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok()) {
            throw new IllegalStateException("C3 polling experiment failed: " + outcome.failure());
        }
        return (double) total[0] / ROUNDS;
    }

    /** CPU A: per round, ICR write, then poll the flag line until B has copied the request. */
    private static final class PollingSender implements Dispatcher {
        private final long[] total;
        private int round;

        PollingSender(long[] total) {
            this.total = total;
        }

        @Override
        public int doWork(Cpu cpu) {
            if (round == ROUNDS) {
                cpu.machine().requestStop("C3 done");
                return 0;
            }
            int expect = round + 1;
            cpu.loadInt(FLAG); // the line is in A's cache, as in a polling loop
            long t0 = cpu.clock();
            cpu.sendIpi(1L << 1, VECTOR);
            cpu.spinWaitUntil(() -> cpu.loadInt(FLAG) == expect, "B's copy of the IRR");
            total[0] += cpu.clock() - t0;
            round++;
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

    /** CPU B: interrupts disabled, polls the IRR; copies each request into the flag line. */
    private static final class IrrPoller implements Dispatcher {
        private int copied;

        @Override
        public int doWork(Cpu cpu) {
            if (copied == ROUNDS) {
                return 0;
            }
            while (cpu.apic().earliestPendingArrivalAcquire() > cpu.clock()) {
                cpu.advance(cpu.cost().ipiIrrPollCycles());
                cpu.interleave();
            }
            Interrupt irq = cpu.apic().poll();
            irq.eoi();
            copied++;
            cpu.storeInt(FLAG, copied);
            return 1;
        }

        @Override
        public void onInterrupt(Cpu cpu, Interrupt interrupt) {
            throw new IllegalStateException("B polls with interrupts disabled");
        }

        @Override
        public long nextEvent(Cpu cpu) {
            return NO_EVENT;
        }
    }

    // ---- C3: null system call ------------------------------------------------------------------

    static double nullSystemCall(CostModel model) {
        Machine machine = new Machine(MachineConfig.builder().cpus(1).costModel(model).deterministic(1).build());
        Kernel kernel = Kernel.boot(machine);
        long[] sum = new long[2];
        kernel.createThread(ThreadSpec.of("timer", 0, () -> {
            ThreadId me = L4.myself();
            for (int i = 0; i < 64; i++) {
                long t0 = L4.clock();
                L4.threadSwitch(me); // switch to oneself: the kernel has nothing to do
                long t1 = L4.clock();
                if (i >= 8) { // warm caches
                    sum[0] += t1 - t0;
                    sum[1]++;
                }
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok() || !kernel.failures().isEmpty()) {
            throw new IllegalStateException("C3 null system call failed: " + outcome.failure() + " " + kernel.failures());
        }
        return (double) sum[0] / sum[1];
    }

    // ---- D1: XCPU IPIs against a computing thread --------------------------------------------

    record ProbeRun(double handlerDelay, double lossPerIpi, double overhead) {
    }

    /**
     * A triggers B {@code count} times: every {@code period} cycles, or (period 0) each as soon
     * as B acknowledged the previous one. B runs the kernel with one computing thread. The
     * handler's start is the IPI's take on B (the machine's trace).
     */
    static ProbeRun probeRun(CostModel model, long period, int count) {
        Machine machine = new Machine(MachineConfig.builder().cpus(2).costModel(model).deterministic(1)
                .captureTrace(true).maxTraceEvents(1 << 20).build());
        XcpuTrigger sender = new XcpuTrigger(period, count);
        machine.cpu(0).install(sender);
        // The timer tick (1 ms) moved past the measured window: the thread loses cycles to the
        // IPIs only, as in the thesis's closed-loop measurement (3.3.1).
        Kernel kernel = Kernel.boot(machine, new KernelConfig(100_000.0, 10));
        sender.pendingWord = kernel.xcpuFabric().ipiPendingWord(1);
        long[] computed = new long[1];
        kernel.createThread(ThreadSpec.daemon("worker", 1, () -> {
            while (true) {
                L4.compute(100);
                computed[0] += 100;
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok() || !kernel.failures().isEmpty()) {
            throw new IllegalStateException("D1 experiment failed: " + outcome.failure() + " " + kernel.failures());
        }
        List<Long> taken = new ArrayList<>();
        for (EventLog.Event e : machine.eventLogs().get(0).events()) {
            if (e.cpu() == 1 && e.kind() == EventKind.IPI_TAKE && e.b() == Kernel.XCPU_VECTOR) {
                taken.add(e.time());
            }
        }
        if (taken.size() != count) {
            throw new IllegalStateException("D1: B took " + taken.size() + " XCPU IPIs of " + count);
        }
        double delay = 0;
        for (int i = 0; i < count; i++) {
            delay += taken.get(i) - sender.sentAt[i];
        }
        delay = delay / count + model.ipiIcrWriteCycles(); // from the start of the ICR write
        long elapsed = sender.stopClockOfB;
        double lost = elapsed - computed[0];
        return new ProbeRun(delay, lost / count, lost / elapsed);
    }

    /**
     * CPU A: triggers B as {@code XpIpc.trigger} does (a CAS of B's "not yet acknowledged" word
     * from 0 to 1, then the XCPU vector), periodically or as soon as B acknowledged.
     */
    private static final class XcpuTrigger implements Dispatcher {
        private final long period;
        private final int count;
        final long[] sentAt;
        long pendingWord;
        private int sent;
        private long next;
        long stopClockOfB;

        XcpuTrigger(long period, int count) {
            this.period = period;
            this.count = count;
            this.sentAt = new long[count];
        }

        @Override
        public int doWork(Cpu cpu) {
            Cpu b = cpu.machine().cpu(1);
            if (sent == count) {
                // Wait until B's handler took the last one, then stop where B is.
                cpu.spinWaitUntil(() -> b.apic().occupiedSlotsAcquire() == 0 && cpu.loadInt(pendingWord) == 0,
                        "B's last acknowledgement");
                stopClockOfB = b.clockAcquire();
                cpu.machine().requestStop("D1 done");
                return 0;
            }
            if (period == 0) {
                cpu.spinWaitUntil(() -> b.apic().occupiedSlotsAcquire() == 0, "B's EOI");
            } else if (cpu.clock() < next) {
                return 0; // idle until the next period
            }
            // The handler clears the word right after its EOI: a trigger finds it clear.
            cpu.spinWaitUntil(() -> cpu.loadInt(pendingWord) == 0, "B's handler clearing its word");
            if (!cpu.casInt(pendingWord, 0, 1)) {
                throw new IllegalStateException("D1: B's not-yet-acknowledged word changed under the trigger");
            }
            cpu.sendIpi(1L << 1, Kernel.XCPU_VECTOR);
            sentAt[sent++] = cpu.clock();
            next = cpu.clock() + period;
            return 1;
        }

        @Override
        public void onInterrupt(Cpu cpu, Interrupt interrupt) {
        }

        @Override
        public long nextEvent(Cpu cpu) {
            return period == 0 || sent == count ? NO_EVENT : next;
        }
    }
}
