package l4smp.emulator.trace;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventLogTest {

    private static void fill(EventLog log, int n) {
        for (int i = 0; i < n; i++) {
            log.record(i % 3, EventKind.IPI_SEND, 100L * i, i, -i);
        }
    }

    @Test
    void hashIsAnFnvChainOverOneMixedWordPerEvent() {
        EventLog log = new EventLog(false, 0);
        assertEquals(0xcbf29ce484222325L, log.hash());
        log.record(1, 2, 3, 4, 5);
        long x = (3L * 0x9E3779B97F4A7C15L) ^ (4L * 0xC2B2AE3D27D4EB4FL) ^ (5L * 0x165667B19E3779F9L)
                ^ ((2L << 32) | 1L) * 0xD6E8FEB86659FD93L;
        assertEquals((0xcbf29ce484222325L ^ x) * 0x100000001b3L, log.hash());
        assertEquals(1, log.count());
        // every field matters
        for (int f = 0; f < 5; f++) {
            long[] v = {1, 2, 3, 4, 5};
            v[f]++;
            EventLog other = new EventLog(false, 0);
            other.record((int) v[0], (int) v[1], v[2], v[3], v[4]);
            assertNotEquals(log.hash(), other.hash(), "field " + f);
        }
    }

    @Test
    void equalSequencesHashEqualAndOrderMatters() {
        EventLog a = new EventLog(false, 0);
        EventLog b = new EventLog(true, 10);
        fill(a, 50);
        fill(b, 50);
        assertEquals(a.hash(), b.hash(), "capture must not change the hash");
        EventLog c = new EventLog(false, 0);
        c.record(0, 1, 2, 3, 4);
        c.record(0, 1, 2, 3, 5);
        EventLog d = new EventLog(false, 0);
        d.record(0, 1, 2, 3, 5);
        d.record(0, 1, 2, 3, 4);
        assertNotEquals(c.hash(), d.hash());
        EventLog e = new EventLog(false, 0);
        e.record(0, 1, 2, 3, 4);
        e.record(0, 1, 2, 4, 4);
        assertNotEquals(c.hash(), e.hash());
    }

    @Test
    void captureKeepsEventsInOrderAcrossGrowth() {
        EventLog log = new EventLog(true, 100_000);
        fill(log, 10_000); // grows beyond the first 4096-event array
        List<EventLog.Event> events = log.events();
        assertEquals(10_000, events.size());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(new EventLog.Event(i % 3, EventKind.IPI_SEND, 100L * i, i, -i), events.get(i));
        }
    }

    @Test
    void captureIsBoundedButHashAndCountCoverEverything() {
        EventLog bounded = new EventLog(true, 7);
        EventLog unbounded = new EventLog(true, 1000);
        fill(bounded, 100);
        fill(unbounded, 100);
        assertEquals(7, bounded.events().size());
        assertEquals(unbounded.events().subList(0, 7), bounded.events());
        assertEquals(100, bounded.count());
        assertEquals(unbounded.hash(), bounded.hash());
    }

    @Test
    void noCaptureKeepsNoEvents() {
        EventLog log = new EventLog(false, 1000);
        fill(log, 10);
        assertTrue(log.events().isEmpty());
        assertEquals(10, log.count());
        EventLog zero = new EventLog(true, 0);
        fill(zero, 10);
        assertTrue(zero.events().isEmpty());
        assertEquals(10, zero.count());
    }

    @Test
    void refusesNegativeBoundAndNamesKinds() {
        assertThrows(IllegalArgumentException.class, () -> new EventLog(true, -1));
        assertEquals("ipi-send", EventKind.name(EventKind.IPI_SEND));
        assertEquals("kernel+3", EventKind.name(EventKind.KERNEL_BASE + 3));
        assertTrue(new EventLog.Event(1, EventKind.IPI_TAKE, 5, 0, 64).toString().contains("ipi-take"));
    }
}
