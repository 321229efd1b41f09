package l4smp.tests.jcstress.timing;

import l4smp.emulator.apic.LocalApic;
import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.cpu.InterruptLine;

/**
 * The published run state of one simulated CPU without the rest of a {@code Cpu}: the
 * production {@link ConcurrentRunState} with a real {@link InterruptLine} and {@link LocalApic}
 * behind its two abstract reads, as {@code Cpu} has them (its interrupt flag, its APIC's
 * earliest pending arrival). For the tests of the effective clock and the order horizon.
 *
 * <p>Thread contract: as {@link ConcurrentRunState}: the {@code set...} methods from the one
 * thread that plays the owner CPU; the senders post to {@link #apic} and raise {@link #line}
 * from any thread.
 */
public class StandaloneRunState extends ConcurrentRunState {

    /** The IPI delivery latency of the PIII_450 cost model (thesis 3.3.1), in cycles. */
    public static final int DELIVERY_CYCLES = 1030;

    public final InterruptLine line = new InterruptLine();
    public final LocalApic apic;
    /** The CPU's number (the source of the IPIs it posts). */
    public final int index;

    public StandaloneRunState(int cpu) {
        this.index = cpu;
        this.apic = new LocalApic(cpu, DELIVERY_CYCLES);
    }

    @Override
    public boolean interruptPendingVolatile() {
        return line.raisedVolatile();
    }

    @Override
    public long earliestPendingArrivalAcquire() {
        return apic.earliestPendingArrivalAcquire();
    }

    /**
     * Posts an IPI from {@code source} to this CPU sent at {@code sentAt} and raises its flag,
     * as {@code Cpu.deliver} does (claim a LINT slot, post, raise); returns its arrival. Any
     * thread (the sender).
     */
    public long postIpi(int source, long sentAt) {
        LocalApic.IpiSlot slot = apic.tryClaimSlot();
        if (slot == null) {
            throw new IllegalStateException("both LINT slots of APIC " + apic.cpu() + " in use");
        }
        apic.post(slot, 0x40, source, sentAt);
        line.raise(); // volatile: after the post (partner: interruptPendingVolatile, then the arrival's acquire)
        return slot.arrivalTime();
    }
}
