package l4smp.tests.jcstress.apic;

import l4smp.emulator.apic.LocalApic;
import l4smp.emulator.apic.LocalApic.IpiSlot;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The two LINT slots of a local APIC (thesis 8.3.3): at most two IPIs to one CPU are
 * un-acknowledged at any time; a slot is claimed by CAS and freed by the EOI.
 */
public final class LintSlotStress {

    private LintSlotStress() {
    }

    /** Claims a slot and posts into it; 1 if it got one, 0 if both were occupied, 9 if the post failed. */
    static int claimAndPost(LocalApic apic, int source) {
        IpiSlot slot = apic.tryClaimSlot();
        if (slot == null) {
            return 0;
        }
        try {
            apic.post(slot, 0x30, source, 0);
        } catch (IllegalStateException e) {
            return 9;
        }
        return 1;
    }

    @JCStressTest
    @Description("One IPI already occupies a slot; two more senders claim concurrently: exactly one succeeds "
            + "(the third un-acknowledged IPI is refused).")
    @Outcome(id = {"1, 0", "0, 1"}, expect = ACCEPTABLE, desc = "One claim got the last free slot, the other was refused.")
    @Outcome(id = "1, 1", expect = FORBIDDEN, desc = "Three IPIs un-acknowledged: the two-slot bound broken.")
    @Outcome(expect = FORBIDDEN, desc = "Both refused although a slot was free, or a post failed.")
    @State
    public static class ThirdClaimRefused {
        final LocalApic apic = new LocalApic(0, 1030);

        public ThirdClaimRefused() {
            apic.post(apic.tryClaimSlot(), 0x30, 0, 0);
        }

        @Actor
        public void sender1(II_Result r) {
            r.r1 = claimAndPost(apic, 1);
        }

        @Actor
        public void sender2(II_Result r) {
            r.r2 = claimAndPost(apic, 2);
        }
    }

    @JCStressTest
    @Description("Two senders race for the two free slots, one of them claiming twice: three claims, "
            + "exactly two succeed. Result: successes of the double sender, of the single sender.")
    @Outcome(id = {"2, 0", "1, 1"}, expect = ACCEPTABLE, desc = "Two claims succeeded, one was refused.")
    @Outcome(id = "2, 1", expect = FORBIDDEN, desc = "Three IPIs un-acknowledged: the two-slot bound broken.")
    @Outcome(expect = FORBIDDEN, desc = "A claim refused although a slot was free, or a post failed.")
    @State
    public static class ThreeClaimsTwoSlots {
        final LocalApic apic = new LocalApic(0, 1030);

        @Actor
        public void doubleSender(II_Result r) {
            int a = claimAndPost(apic, 1);
            int b = claimAndPost(apic, 1);
            r.r1 = a == 9 || b == 9 ? 9 : a + b;
        }

        @Actor
        public void singleSender(II_Result r) {
            r.r2 = claimAndPost(apic, 2);
        }
    }

    @JCStressTest
    @Description("Both slots occupied (one in service, one pending); a sender claims while the owner sends "
            + "the EOI of the one in service. Result: the claim, occupied slots, posts in the inbox.")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "The claim came before the EOI and was refused; the EOI freed one slot.")
    @Outcome(id = "1, 2, 2", expect = ACCEPTABLE, desc = "The EOI freed the slot in service and the sender got it.")
    @Outcome(expect = FORBIDDEN, desc = "A claim with both slots occupied, a lost EOI, or a refused post.")
    @State
    public static class EoiFreesTheSlotInService {
        final LocalApic apic = new LocalApic(0, 1030);
        final IpiSlot inService;

        public EoiFreesTheSlotInService() {
            apic.post(apic.tryClaimSlot(), 0x20, 7, 0);
            inService = apic.poll();
            apic.post(apic.tryClaimSlot(), 0x21, 8, 0);
        }

        @Actor
        public void sender(III_Result r) {
            r.r1 = claimAndPost(apic, 1);
        }

        @Actor
        public void owner() {
            inService.eoi();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r2 = apic.occupiedSlotsAcquire();
            int posts = 0;
            while (apic.poll() != null) {
                posts++;
            }
            r.r3 = posts;
        }
    }

    @JCStressTest
    @Description("(Three actors: needs at least 3 host CPUs.) Three senders claim slots of one APIC concurrently: exactly two succeed.")
    @Outcome(id = {"1, 1, 0", "1, 0, 1", "0, 1, 1"}, expect = ACCEPTABLE, desc = "Two claims succeed, the third is refused.")
    @Outcome(id = "1, 1, 1", expect = FORBIDDEN, desc = "Three IPIs un-acknowledged: the two-slot bound broken.")
    @Outcome(expect = FORBIDDEN, desc = "Fewer than two claims succeeded although two slots were free, or a post failed.")
    @State
    public static class ThreeSendersTwoSlots {
        final LocalApic apic = new LocalApic(0, 1030);

        @Actor
        public void sender1(III_Result r) {
            r.r1 = claimAndPost(apic, 1);
        }

        @Actor
        public void sender2(III_Result r) {
            r.r2 = claimAndPost(apic, 2);
        }

        @Actor
        public void sender3(III_Result r) {
            r.r3 = claimAndPost(apic, 3);
        }
    }

    @JCStressTest
    @Description("(Four actors: needs at least 4 host CPUs.) One IPI is in service; three senders claim while the owner sends its EOI. The EOI frees "
            + "exactly the slot in service, so one or two claims succeed, never three, and at the end the "
            + "occupied slots and the posts in the inbox are exactly the successful claims. "
            + "Result: three claims, occupied slots, posts in the inbox.")
    @Outcome(id = {"1, 0, 0, 1, 1", "0, 1, 0, 1, 1", "0, 0, 1, 1, 1"}, expect = ACCEPTABLE,
            desc = "The EOI came after the claims: one claim got the free slot.")
    @Outcome(id = {"1, 1, 0, 2, 2", "1, 0, 1, 2, 2", "0, 1, 1, 2, 2"}, expect = ACCEPTABLE,
            desc = "The EOI freed the slot in service in time for a second claim.")
    @Outcome(expect = FORBIDDEN, desc = "More than two un-acknowledged IPIs, a lost or phantom slot, or a refused post.")
    @State
    public static class ClaimsRacingAnEoi {
        final LocalApic apic = new LocalApic(0, 1030);
        final IpiSlot inService;

        public ClaimsRacingAnEoi() {
            IpiSlot slot = apic.tryClaimSlot();
            apic.post(slot, 0x20, 7, 0);
            inService = apic.poll();
        }

        @Actor
        public void sender1(IIIII_Result r) {
            r.r1 = claimAndPost(apic, 1);
        }

        @Actor
        public void sender2(IIIII_Result r) {
            r.r2 = claimAndPost(apic, 2);
        }

        @Actor
        public void sender3(IIIII_Result r) {
            r.r3 = claimAndPost(apic, 3);
        }

        @Actor
        public void owner() {
            inService.eoi();
        }

        @Arbiter
        public void arbiter(IIIII_Result r) {
            r.r4 = apic.occupiedSlotsAcquire();
            int posts = 0;
            while (apic.poll() != null) {
                posts++;
            }
            r.r5 = posts;
        }
    }
}
