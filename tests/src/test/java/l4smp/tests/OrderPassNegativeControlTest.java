package l4smp.tests;

import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.cpu.OrderHorizon;
import l4smp.emulator.cpu.OrderPassCache;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.tests.jcstress.timing.OrderHorizonStress;
import l4smp.tests.jcstress.timing.OrderPassCacheStress;
import l4smp.tests.jcstress.timing.OrderPassCacheStress.StaleIdleEntryAcrossPost;
import org.junit.jupiter.api.Test;

import java.util.Arrays;


/**
 * The negative control of {@link StaleIdleEntryAcrossPost}: a cached order pass that trusts its
 * entry of an idle CPU across a post by another CPU (the planted variant: it keeps every entry
 * at or above the cycle and never looks at the post counts) reaches the bound that the jcstress
 * test forbids under some seeded interleaving -- it reads the sender computed on past the
 * arrival and keeps the target's entry from before the post -- and the pass the machine uses
 * ({@link ConcurrentRunState#minOrderBoundCachedAcquire}) never does over the same schedules
 * ({@link SteppedSchedule}: each of the observer's reads of a CPU's fields and each of the
 * sender's steps is one step). Outcomes are graded by the jcstress test's own annotations.
 */
class OrderPassNegativeControlTest {

    private static final int SCHEDULES = 1000;

    /**
     * The planted pass: the cache of the machine's pass without the post counts (an entry is
     * read again only when it lies below the cycle, whatever was posted since).
     */
    private static long trustingPass(ConcurrentRunState[] cpus, ConcurrentRunState self, long[] seen, long cycle) {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < cpus.length; i++) {
            if (cpus[i] == self) {
                continue;
            }
            if (seen[i] < cycle) {
                seen[i] = cpus[i].effectiveClockAcquire();
            }
            min = Math.min(min, seen[i]);
        }
        return min;
    }

    /** The outcome of one run under {@code seed}, as jcstress prints it, with the machine's pass or the planted one. */
    private static String run(long seed, boolean machinePass) {
        SteppedRunState observer = new SteppedRunState(0);
        SteppedRunState sender = new SteppedRunState(1);
        SteppedRunState target = new SteppedRunState(2);
        SteppedRunState[] stepped = {observer, sender, target};
        ConcurrentRunState[] cpus = {observer, sender, target};
        OrderPassCache cache = new OrderPassCache(3);
        OrderHorizon senderHorizon = new OrderHorizon();
        OrderPassCacheStress.prepare(observer, sender, target, cpus, cache, senderHorizon);
        // The planted pass's entries, filled as prepare filled the machine's cache (a pass over both CPUs).
        long[] seen = new long[3];
        Arrays.fill(seen, Long.MIN_VALUE);
        trustingPass(cpus, observer, seen, Long.MAX_VALUE);
        SteppedSchedule s = new SteppedSchedule(new HostXcpuMemory(new PhysicalMemory(16 * 1024)));
        for (SteppedRunState c : stepped) {
            c.schedule = s;
        }
        long[] bound = new long[1];
        s.run(seed, sch -> {
            // the sender's steps: the post and raise, the count, the clock store
            sch.step(0);
            var slot = target.apic.tryClaimSlot();
            target.apic.post(slot, 0x40, sender.index, OrderHorizonStress.SENT_AT);
            senderHorizon.lowerTo(slot.arrivalTime());
            target.line.raise();
            sch.step(0);
            sender.countPostRelease();
            sch.step(0);
            sender.setClockRelease(5000);
        }, sch -> bound[0] = machinePass
                ? ConcurrentRunState.minOrderBoundCachedAcquire(cpus, observer, cache, OrderPassCacheStress.CYCLE)
                : trustingPass(cpus, observer, seen, OrderPassCacheStress.CYCLE), 100_000);
        for (SteppedRunState c : stepped) {
            c.schedule = null;
        }
        return bound[0] + ", " + senderHorizon.bound() + ", " + target.effectiveClockAcquire();
    }

    @Test
    void aPassTrustingAnIdleEntryAcrossAPostKeepsABoundAboveTheArrival() {
        RunStateNegativeControlTest.assertSomeScheduleReaches(StaleIdleEntryAcrossPost.class, "5000, 2070, 2070",
                SCHEDULES, seed -> run(seed, false), "the bound above the arrival");
    }

    @Test
    void theMachinesPassNeverDoes() {
        RunStateNegativeControlTest.assertEveryScheduleAcceptable(StaleIdleEntryAcrossPost.class, SCHEDULES,
                seed -> run(seed, true));
    }
}
