package l4smp.emulator.apic;

import l4smp.emulator.apic.LocalApic.IpiSlot;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalApicTest {

    private final LocalApic apic = new LocalApic(3, 1030);

    @Test
    void twoSlotsThenTheThirdClaimIsRefused() {
        assertEquals(3, apic.cpu());
        assertTrue(apic.hasFreeSlotAcquire());
        IpiSlot a = apic.tryClaimSlot();
        IpiSlot b = apic.tryClaimSlot();
        assertNotNull(a);
        assertNotNull(b);
        assertNotSame(a, b);
        assertEquals(2, apic.occupiedSlotsAcquire());
        assertFalse(apic.hasFreeSlotAcquire());
        assertNull(apic.tryClaimSlot(), "a third claim must be refused while two IPIs are un-acknowledged");
    }

    @Test
    void postCarriesThePayloadAndTheArrival() {
        IpiSlot slot = apic.tryClaimSlot();
        apic.post(slot, 0x41, 2, 5_000);
        assertEquals(5_000 + 1030, apic.earliestPendingArrivalAcquire());
        assertSame(slot, apic.peek());
        IpiSlot polled = apic.poll();
        assertSame(slot, polled);
        assertEquals(0x41, polled.vector());
        assertEquals(2, polled.sourceCpu());
        assertEquals(5_000, polled.sentAt());
        assertEquals(6_030, polled.arrivalTime());
        assertEquals(Long.MAX_VALUE, apic.earliestPendingArrivalAcquire(), "an IPI in service is not pending");
        assertNull(apic.poll());
        assertNull(apic.peek());
        assertTrue(polled.toString().contains("LINT" + polled.index()));
    }

    @Test
    void pollIsInPostingOrder() {
        IpiSlot a = apic.tryClaimSlot();
        IpiSlot b = apic.tryClaimSlot();
        apic.post(b, 2, 1, 900);
        apic.post(a, 1, 0, 100);
        assertEquals(100 + 1030, apic.earliestPendingArrivalAcquire());
        assertSame(b, apic.poll());
        assertSame(a, apic.poll());
    }

    @Test
    void eoiFreesTheSlotForTheNextSenderAndIsIdempotent() {
        IpiSlot a = apic.tryClaimSlot();
        IpiSlot b = apic.tryClaimSlot();
        apic.post(a, 1, 0, 0);
        apic.post(b, 2, 0, 0);
        assertNull(apic.tryClaimSlot());
        IpiSlot first = apic.poll();
        assertFalse(first.isFree());
        assertNull(apic.tryClaimSlot(), "in service is still occupied");
        first.eoi();
        assertTrue(first.isFree());
        assertEquals(1, apic.occupiedSlotsAcquire());
        first.eoi(); // idempotent
        assertEquals(1, apic.occupiedSlotsAcquire());
        IpiSlot again = apic.tryClaimSlot();
        assertSame(first, again);
        assertNull(apic.tryClaimSlot());
    }

    @Test
    void eoiOfAPendingSlotDoesNothing() {
        IpiSlot a = apic.tryClaimSlot();
        apic.post(a, 1, 0, 0);
        a.eoi(); // not in service yet: an EOI must not free it
        assertFalse(a.isFree());
        assertEquals(1, apic.occupiedSlotsAcquire());
        assertSame(a, apic.poll());
    }

    @Test
    void slotsCycleThroughManyIpisWithoutTheInboxRefusing() {
        for (int i = 0; i < 10_000; i++) {
            IpiSlot s = apic.tryClaimSlot();
            assertNotNull(s, "slot " + i);
            apic.post(s, i & 0xFF, 1, i);
            IpiSlot p = apic.poll();
            assertSame(s, p);
            assertEquals(i & 0xFF, p.vector());
            p.eoi();
        }
        assertEquals(0, apic.occupiedSlotsAcquire());
    }

    @Test
    void postOfAnUnclaimedOrForeignSlotIsRefused() {
        IpiSlot a = apic.tryClaimSlot();
        apic.post(a, 1, 0, 0);
        assertThrows(IllegalStateException.class, () -> apic.post(a, 1, 0, 0), "a pending slot posted twice");
        LocalApic other = new LocalApic(4, 1030);
        IpiSlot foreign = other.tryClaimSlot();
        assertThrows(IllegalStateException.class, () -> apic.post(foreign, 1, 0, 0));
    }
}
