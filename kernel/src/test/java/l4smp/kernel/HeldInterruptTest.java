package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.apic.IoApic;
import l4smp.kernel.api.L4;
import l4smp.kernel.irq.Device;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Interrupts raised before their line has a handler are held and delivered, in order, once a
 * handler attaches (thesis 2.4: the handler is the interrupt thread's pager): none is lost. In
 * parallel mode this is the case of a handler that attached earlier in simulated time than the
 * raise, but later in host time than the CPU that took the interrupt looked at the line (CPUs
 * run up to the slack apart); here the handler attaches after the first raises on purpose, on a
 * deterministic machine, with fixed and lowest-priority routing.
 */
class HeldInterruptTest {

    @ParameterizedTest(name = "lowest-priority routing: {0}")
    @ValueSource(booleans = {false, true})
    void interruptsBeforeTheAttachAreDelivered(boolean lowest) {
        Machine machine = new Machine(MachineConfig.builder().cpus(3).deterministic(5).build());
        Kernel kernel = Kernel.boot(machine);
        int line = 3;
        long interval = 20_000;
        int count = 6;
        if (lowest) {
            kernel.routeInterrupt(line, IoApic.LOWEST_PRIORITY);
        }
        kernel.addDevice(new Device("early", line, interval, interval, count));
        AtomicLong received = new AtomicLong();
        kernel.createThread(ThreadSpec.of("handler", 2, () -> {
            L4.sleep(3 * interval + interval / 2); // three raises happen before the attach
            ThreadId irq = L4.attachInterrupt(line);
            int tag = L4.receive(irq);
            while (true) {
                if (MsgTag.isError(tag) || MsgTag.label(tag) != InterruptThreads.LABEL) {
                    throw new IllegalStateException("not an interrupt: " + MsgTag.toString(tag));
                }
                if (received.incrementAndGet() == count) {
                    L4.send(irq, 0, 0);
                    return;
                }
                tag = L4.ipc(irq, irq, 0, 0, Timeout.NEVER); // acknowledge and wait for the next
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        assertEquals(count, received.get(), () -> "interrupts received; run: " + outcome + "; " + kernel.describeThreads());
        assertEquals(0, machine.counterTotal(Kernel.C_SPURIOUS_IRQ), "no interrupt counted as unhandled");
        assertEquals(count, machine.counterTotal(Kernel.C_IRQ_DELIVERED));
    }
}
