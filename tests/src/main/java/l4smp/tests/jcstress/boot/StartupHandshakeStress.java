package l4smp.tests.jcstress.boot;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.boot.StartupHandshake;
import l4smp.kernel.xcpu.HostXcpuMemory;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The SMP boot's handshake (thesis 8.2; {@link StartupHandshake}, used by the kernel's
 * {@code SmpBoot}) on real host threads with the kernel's own code over {@link HostXcpuMemory}:
 * the race of an AP's start against the BSP's timeout, the numbering by fetch-and-add, and the
 * explicit release after the first barrier.
 */
public final class StartupHandshakeStress {
    private StartupHandshakeStress() { }

    static final long BASE = 0x1000;
    static final int STRIDE = 32;
    static final int AP = 3;

    static HostXcpuMemory started(int ap) {
        HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        StartupHandshake.init(mem, BASE, STRIDE);
        StartupHandshake.expect(mem, BASE, STRIDE, ap);
        return mem;
    }

    /**
     * The AP answers just as the BSP times out: exactly one of the AP's claim and the BSP's
     * give-up wins. The AP counts (it took number 1 and NUMBER is 2) iff the BSP did not give
     * up; a masked AP took no number (NUMBER stays 1: the numbering stays compact).
     */
    @JCStressTest
    @Outcome(id = "1, 0, 2", expect = ACCEPTABLE, desc = "the AP claimed first: it is processor 2, the BSP waits for it")
    @Outcome(id = "-1, 1, 1", expect = ACCEPTABLE, desc = "the BSP gave up first: the AP stays halted, masked, no number taken")
    @Outcome(id = {"1, 1, 1", "1, 1, 2"}, expect = FORBIDDEN, desc = "both won: a masked AP took a number (numbering not compact)")
    @Outcome(id = {"-1, 0, 1", "-1, 0, 2"}, expect = FORBIDDEN, desc = "neither won: the BSP would wait for an AP that halted")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class ClaimAgainstTimeout {
        final HostXcpuMemory mem = started(AP);

        @Actor
        public void ap(III_Result r) {
            r.r1 = StartupHandshake.claimNumber(mem, BASE, STRIDE, AP);
        }

        @Actor
        public void bspTimeout(III_Result r) {
            r.r2 = StartupHandshake.giveUp(mem, BASE, STRIDE, AP) ? 1 : 0;
        }

        @Arbiter
        public void numbers(III_Result r) {
            r.r3 = StartupHandshake.number(mem, BASE, STRIDE);
        }
    }

    /**
     * Numbering by fetch-and-add: two processors that take their numbers at once (the thesis's
     * broadcast start) get distinct, consecutive ones and the counter counts both.
     */
    @JCStressTest
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "the first AP took index 1, the second index 2")
    @Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "the other order")
    @Outcome(expect = FORBIDDEN, desc = "a number taken twice or skipped")
    @State
    public static class NumbersByFetchAndAdd {
        final HostXcpuMemory mem = started(StartupHandshake.NOBODY);

        @Actor
        public void ap1(II_Result r) {
            r.r1 = mem.fetchAddVolatile(BASE + (long) StartupHandshake.NUMBER * STRIDE, 1);
        }

        @Actor
        public void ap2(II_Result r) {
            r.r2 = mem.fetchAddVolatile(BASE + (long) StartupHandshake.NUMBER * STRIDE, 1);
        }

        @Arbiter
        public void total(II_Result r) {
            if (StartupHandshake.number(mem, BASE, STRIDE) != 3) {
                r.r1 = -r.r1; // the counter lost an increment: no described outcome matches
            }
        }
    }

    /**
     * The first barrier and the explicit release: the AP arrives and waits for the release; the
     * BSP waits for the arrival, then releases. The AP always gets out (Mode.Termination).
     */
    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the AP was released after it arrived")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "the AP waits forever: a lost release or a lost arrival")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class ReleaseAfterArrival {
        final HostXcpuMemory mem = started(AP);

        @Actor
        public void ap() {
            StartupHandshake.claimNumber(mem, BASE, STRIDE, AP);
            StartupHandshake.arrive(mem, BASE, STRIDE);
            while (StartupHandshake.released(mem, BASE, STRIDE) == 0) {
                Thread.onSpinWait();
            }
        }

        @Signal
        public void bsp() {
            while (StartupHandshake.arrived(mem, BASE, STRIDE) != 1) {
                Thread.onSpinWait();
            }
            StartupHandshake.release(mem, BASE, STRIDE, 2);
        }
    }
}
