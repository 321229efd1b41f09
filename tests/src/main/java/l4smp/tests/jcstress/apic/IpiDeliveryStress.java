package l4smp.tests.jcstress.apic;

import l4smp.emulator.apic.LocalApic;
import l4smp.emulator.apic.LocalApic.IpiSlot;
import l4smp.emulator.cpu.InterruptLine;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * No lost IPI: the protocol between a sender ({@link LocalApic#tryClaimSlot()},
 * {@link LocalApic#post}, {@link InterruptLine#raise()}) and the owner CPU (flag check, volatile
 * clear, inbox poll), as {@code Cpu.deliver} and {@code Cpu.takeInterrupts} run it.
 */
public final class IpiDeliveryStress {

    private IpiDeliveryStress() {
    }

    static final int VECTOR = 0x47;
    static final int SOURCE = 5;
    static final long SENT_AT = 12_345;
    static final int DELIVERY = 1030;

    /** Owner's reading of one IPI: {@code r1} vector, {@code r2} source (or -2 if sentAt/arrival are torn). */
    static void read(IpiSlot slot, II_Result r) {
        if (slot == null) {
            r.r1 = 0;
            r.r2 = 0;
            return;
        }
        r.r1 = slot.vector();
        r.r2 = slot.sentAt() == SENT_AT && slot.arrivalTime() == SENT_AT + DELIVERY ? slot.sourceCpu() : -2;
    }

    @JCStressTest
    @Description("Once the owner sees the interrupt flag (volatile), the IPI posted before the raise is in "
            + "the inbox with its whole payload.")
    @Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "The owner looked before the flag was raised.")
    @Outcome(id = "71, 5", expect = ACCEPTABLE, desc = "Flag seen; the IPI found with vector 0x47 from CPU 5.")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "Flag seen but the inbox empty: a lost IPI.")
    @Outcome(expect = FORBIDDEN, desc = "Flag seen but the payload torn (or anything else).")
    @State
    public static class FlagImpliesPost {
        final LocalApic apic = new LocalApic(0, DELIVERY);
        final InterruptLine line = new InterruptLine();

        @Actor
        public void sender() {
            IpiSlot slot = apic.tryClaimSlot();
            apic.post(slot, VECTOR, SOURCE, SENT_AT);
            line.raise();
        }

        @Actor
        public void owner(II_Result r) {
            if (line.raisedVolatile()) {
                line.clearVolatile();
                read(apic.poll(), r);
            } else {
                r.r1 = -1;
                r.r2 = -1;
            }
        }
    }

    /** The owner's drain, as Cpu.takeInterrupts runs it: opaque flag check, volatile clear, poll until empty. */
    static int drain(LocalApic apic, InterruptLine line) {
        int delivered = 0;
        if (line.raisedOpaque()) {
            line.clearVolatile();
            IpiSlot slot;
            while ((slot = apic.poll()) != null) {
                delivered++;
                slot.eoi();
            }
        }
        return delivered;
    }

    /** Arbiter: {@code r2} flag raised, {@code r3} IPIs left in the inbox. */
    static void account(LocalApic apic, InterruptLine line, III_Result r) {
        r.r2 = line.raisedVolatile() ? 1 : 0;
        int left = 0;
        while (apic.poll() != null) {
            left++;
        }
        r.r3 = left;
    }

    @JCStressTest
    @Description("A sender posts and raises twice in a row while the owner drains once with the real protocol "
            + "(opaque flag check, volatile clear, then poll until empty). Afterwards every post is "
            + "accounted for: delivered by the drain, or still in the inbox with the flag raised. "
            + "Result: delivered by the owner, flag raised at the end, left in the inbox.")
    @Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "The drain saw no flag; both posts wait, flag raised.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "One delivered; the second posted after the poll raised the flag again.")
    @Outcome(id = "2, 0, 0", expect = ACCEPTABLE, desc = "Both delivered; the flag cleared.")
    @Outcome(id = "2, 1, 0", expect = ACCEPTABLE_INTERESTING,
            desc = "Both delivered, the second raise came after the clear: a spurious flag (harmless).")
    @Outcome(id = {"1, 0, 1", "0, 0, 2"}, expect = FORBIDDEN, desc = "A post left in the inbox with the flag clear: a lost IPI.")
    @Outcome(expect = FORBIDDEN, desc = "A post vanished or was delivered twice.")
    @State
    public static class DrainAccountsForEveryPost {
        final LocalApic apic = new LocalApic(0, DELIVERY);
        final InterruptLine line = new InterruptLine();

        @Actor
        public void sender() {
            for (int source = 1; source <= 2; source++) {
                IpiSlot slot = apic.tryClaimSlot();
                apic.post(slot, VECTOR, source, SENT_AT);
                line.raise();
            }
        }

        @Actor
        public void owner(III_Result r) {
            r.r1 = drain(apic, line);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            account(apic, line, r);
        }
    }

    @JCStressTest
    @Description("(Three actors: needs at least 3 host CPUs.) Two senders post and raise while the owner drains once with the real protocol (opaque "
            + "flag check, volatile clear, then poll until empty). Afterwards every post is accounted "
            + "for: delivered by the drain, or still in the inbox with the flag raised. "
            + "Result: delivered by the owner, flag raised at the end, left in the inbox.")
    @Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "The drain found nothing; both posts wait, flag raised.")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "One delivered; the other posted later and raised the flag again.")
    @Outcome(id = "2, 0, 0", expect = ACCEPTABLE, desc = "Both delivered; the flag cleared.")
    @Outcome(id = "2, 1, 0", expect = ACCEPTABLE_INTERESTING,
            desc = "Both delivered, one raise came after the clear: a spurious flag (harmless: the next drain finds nothing).")
    @Outcome(id = {"1, 0, 1", "0, 0, 2"}, expect = FORBIDDEN, desc = "A post left in the inbox with the flag clear: a lost IPI.")
    @Outcome(expect = FORBIDDEN, desc = "A post vanished or was delivered twice.")
    @State
    public static class DrainWithTwoConcurrentSenders {
        final LocalApic apic = new LocalApic(0, DELIVERY);
        final InterruptLine line = new InterruptLine();

        private void send(int source) {
            IpiSlot slot = apic.tryClaimSlot();
            apic.post(slot, VECTOR, source, SENT_AT);
            line.raise();
        }

        @Actor
        public void sender1() {
            send(1);
        }

        @Actor
        public void sender2() {
            send(2);
        }

        @Actor
        public void owner(III_Result r) {
            r.r1 = drain(apic, line);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            account(apic, line, r);
        }
    }
}
