package l4smp.tests.jcstress.cpu;

import l4smp.emulator.cpu.InterruptLine;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

import java.util.concurrent.TimeUnit;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * No lost wake-up: the Dekker handshake of {@link InterruptLine} (owner: parked := 1, then read
 * the flag; sender: flag := 1, then read parked). Each park is bounded by 10 s, far beyond the
 * time jcstress waits for termination, so a lost wake-up shows as a hang (STALE).
 */
public final class ParkWakeupStress {

    private ParkWakeupStress() {
    }

    static final long PARK_NANOS = TimeUnit.SECONDS.toNanos(10);

    @JCStressTest(Mode.Termination)
    @Description("The owner parks via parkUnlessRaised until the flag is raised; raise() always wakes it.")
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The owner saw the raise and stopped parking.")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "The owner kept parking after the raise: a lost wake-up.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else.")
    @State
    public static class RaiseWakesParkedOwner {
        final InterruptLine line = new InterruptLine();

        @Actor
        public void owner() {
            line.setOwner(Thread.currentThread());
            while (!line.parkUnlessRaised(PARK_NANOS)) {
                // a spurious or stale-permit wake-up: park again
            }
        }

        @Signal
        public void sender() {
            line.raise();
        }
    }

    @JCStressTest(Mode.Termination)
    @Description("The owner runs the idle loop of Cpu.idleParallel: check the flag (volatile), then park "
            + "unless raised; it must leave the loop after raise().")
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The idle loop ended after the raise.")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "The idle CPU slept through the raise: a lost wake-up.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else.")
    @State
    public static class IdleLoopWakes {
        final InterruptLine line = new InterruptLine();

        @Actor
        public void owner() {
            line.setOwner(Thread.currentThread());
            while (true) {
                if (line.raisedVolatile()) {
                    return;
                }
                if (line.parkUnlessRaised(PARK_NANOS)) {
                    return;
                }
            }
        }

        @Signal
        public void sender() {
            line.raise();
        }
    }
}
