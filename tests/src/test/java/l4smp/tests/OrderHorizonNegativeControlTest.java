package l4smp.tests;

import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.cpu.OrderHorizon;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.tests.jcstress.timing.OrderHorizonStress;
import l4smp.tests.jcstress.timing.OrderHorizonStress.TargetReadFirst;
import org.junit.jupiter.api.Test;


/**
 * The negative control of {@link TargetReadFirst}: with the idle target numbered below the
 * sender, one pass over the CPUs' effective clocks ({@link ConcurrentRunState#minEffectiveClockAcquire},
 * the planted variant) reaches the bound that the jcstress test forbids -- the target read before
 * the post, the sender after it computed on past the arrival -- under some seeded interleaving,
 * and the consistent pass over all CPUs ({@link ConcurrentRunState#minEffectiveClockConsistentAcquire})
 * never does over the same schedules ({@link SteppedSchedule}: each of the observer's reads of a
 * CPU's fields and each of the sender's steps is one step). Outcomes are graded by the jcstress
 * test's own annotations.
 */
class OrderHorizonNegativeControlTest {

    private static final int SCHEDULES = 1500;

    /** The outcome of one run under {@code seed}, as jcstress prints it, with the observer's pass {@code consistent} or not. */
    private static String run(long seed, boolean consistent) {
        SteppedRunState target = new SteppedRunState(0);
        SteppedRunState sender = new SteppedRunState(1);
        SteppedRunState observer = new SteppedRunState(2);
        ConcurrentRunState[] cpus = {target, sender, observer};
        OrderHorizon senderHorizon = new OrderHorizon();
        OrderHorizon observerHorizon = new OrderHorizon();
        OrderHorizonStress.prepare(target, sender, observer, cpus, senderHorizon);
        SteppedSchedule s = new SteppedSchedule(new HostXcpuMemory(new PhysicalMemory(16 * 1024)));
        for (SteppedRunState c : new SteppedRunState[] {target, sender, observer}) {
            c.schedule = s;
        }
        s.run(seed, sch -> {
            // the sender's steps: the post and raise, the count, the clock store
            sch.step(0);
            var slot = target.apic.tryClaimSlot();
            target.apic.post(slot, 0x40, sender.index, 1040);
            senderHorizon.lowerTo(slot.arrivalTime());
            target.line.raise();
            sch.step(0);
            sender.countPostRelease();
            sch.step(0);
            sender.setClockRelease(5000);
        }, sch -> observerHorizon.observed(consistent
                ? ConcurrentRunState.minEffectiveClockConsistentAcquire(cpus, observer)
                : ConcurrentRunState.minEffectiveClockAcquire(cpus, observer)), 100_000);
        for (SteppedRunState c : new SteppedRunState[] {target, sender, observer}) {
            c.schedule = null;
        }
        return observerHorizon.bound() + ", " + senderHorizon.bound() + ", " + target.effectiveClockAcquire();
    }

    @Test
    void onePassReadingTheTargetFirstCanKeepABoundAboveTheArrival() {
        RunStateNegativeControlTest.assertSomeScheduleReaches(TargetReadFirst.class, "5000, 2070, 2070",
                SCHEDULES, seed -> run(seed, false), "the bound above the arrival");
    }

    @Test
    void theConsistentPassNeverDoes() {
        RunStateNegativeControlTest.assertEveryScheduleAcceptable(TargetReadFirst.class, SCHEDULES,
                seed -> run(seed, true));
    }
}
