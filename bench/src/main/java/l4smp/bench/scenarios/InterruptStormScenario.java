package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.emulator.apic.IoApic;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.irq.Device;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;

import java.util.List;

/**
 * A device raises an interrupt line every {@code --interval-us}; a handler thread receives each
 * interrupt as IPC from the line's interrupt thread and acknowledges it (thesis 2.4), while a
 * background thread computes on the same CPU. One operation is one handled interrupt; its
 * latency runs from the device's raise to the handler's return from receive (IO-APIC bus
 * message, kernel entry, delivery, switch, exit). With {@code --routing lowest} the IO-APIC
 * picks the lowest-priority CPU, and interrupts for a handler elsewhere are forwarded by IPI.
 */
public final class InterruptStormScenario implements Scenario {

    static final int LINE = 1;

    @Override
    public String name() {
        return "interrupt-storm";
    }

    @Override
    public String description() {
        return "a device interrupts at a given rate; a handler thread receives them as IPC";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("interval-us", 100, 1, 10_000_000, "microseconds between interrupts"),
                OptionSpec.longOption("handler-cpu", 0, 0, 63, "the CPU of the handler thread"),
                OptionSpec.choiceOption("routing", "fixed", List.of("fixed", "lowest"), "IO-APIC routing of the line"),
                OptionSpec.longOption("work", 200, 0, 10_000_000, "handler compute cycles per interrupt"));
    }

    @Override
    public void setup(ScenarioContext context) {
        Kernel kernel = context.kernel();
        int handlerCpu = context.options().getInt("handler-cpu");
        if (handlerCpu >= context.processors()) {
            throw new IllegalArgumentException("option --handler-cpu " + handlerCpu + " names no CPU (the run has "
                    + context.processors() + " processors: 0.." + (context.processors() - 1) + ")");
        }
        long interval = context.config().costModel().microsToCycles(context.options().getLong("interval-us"));
        long work = context.options().getLong("work");
        if ("lowest".equals(context.options().getString("routing"))) {
            kernel.routeInterrupt(LINE, IoApic.LOWEST_PRIORITY);
        }
        // The device starts after the boot: the bootstrap processor waits up to the AP timeout for
        // each CPU that never answers (--fail-cpu, thesis 8.2), and an interrupt raised before the
        // handler attached would be lost (the handler would wait for it forever). Twice the
        // timeout per failed CPU covers the boot's own polling and barriers.
        long failed = Long.bitCount(context.config().failedCpus());
        long first = interval + (failed == 0 ? 0 : failed * 2 * kernel.smpBoot().apTimeoutCycles());
        kernel.addDevice(new Device("storm", LINE, first, interval, context.ops()));
        SingleWriterLatencyRecorder recorder = context.recorder("raise-to-handler");
        kernel.createThread(new ThreadSpec("background", handlerCpu, 50, true, () -> {
            while (true) {
                L4.compute(500);
            }
        }));
        kernel.createThread(new ThreadSpec("handler", handlerCpu, 200, false, () -> {
            ThreadId irq = L4.attachInterrupt(LINE);
            if (irq.isNil()) {
                throw new IllegalStateException("could not attach line " + LINE);
            }
            long handled = 0;
            long n0 = System.nanoTime();
            int tag = L4.receive(irq);
            while (true) {
                long now = L4.clock();
                if (MsgTag.isError(tag) || MsgTag.label(tag) != InterruptThreads.LABEL) {
                    throw new IllegalStateException("not an interrupt: " + MsgTag.toString(tag));
                }
                handled++;
                long raisedAt = first + (handled - 1) * interval;
                recorder.record(now - raisedAt, System.nanoTime() - n0);
                if (handled >= context.ops() || context.timeUp()) {
                    L4.send(irq, 0, 0);
                    break;
                }
                if (work > 0) {
                    L4.compute(work);
                }
                n0 = System.nanoTime();
                tag = L4.ipc(irq, irq, 0, 0, l4smp.kernel.ipc.Timeout.NEVER); // acknowledge and wait
            }
            context.putResult("interrupts_handled", handled);
        }));
    }
}
