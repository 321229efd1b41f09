package l4smp.bench.runner;

import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;

/**
 * The dispatcher of a CPU that a scenario gives no work: it idles, and acknowledges (and
 * counts) any IPI sent to it, so a stray IPI is neither lost nor blocks its sender's LINT slot.
 *
 * <p>Owner CPU only, like every dispatcher.
 */
final class IdleDispatcher implements Dispatcher {

    private long interrupts;

    @Override
    public int doWork(Cpu cpu) {
        return 0;
    }

    @Override
    public void onInterrupt(Cpu cpu, Interrupt interrupt) {
        interrupts++;
        interrupt.eoi();
    }

    @Override
    public long nextEvent(Cpu cpu) {
        return NO_EVENT;
    }

    @Override
    public String toString() {
        return "idle{" + interrupts + " interrupts}";
    }
}
