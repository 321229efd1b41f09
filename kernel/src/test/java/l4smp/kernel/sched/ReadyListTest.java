package l4smp.kernel.sched;

import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReadyListTest {

    private int next = 1;

    private Tcb tcb(String name, int priority) {
        return new Tcb(ThreadId.of(next++, 1), name, 0, priority, false, () -> { });
    }

    private static List<String> drain(ReadyList list) {
        List<String> order = new ArrayList<>();
        Tcb t;
        while ((t = list.pickNext()) != null) {
            order.add(t.name);
        }
        return order;
    }

    @Test
    void highestPriorityFirstFifoWithinAPriority() {
        ReadyList list = new ReadyList();
        list.enqueueTail(tcb("low1", 10));
        list.enqueueTail(tcb("high1", 200));
        list.enqueueTail(tcb("low2", 10));
        list.enqueueTail(tcb("top", 255));
        list.enqueueTail(tcb("high2", 200));
        list.enqueueTail(tcb("zero", 0));
        assertEquals(6, list.size());
        assertEquals(255, list.highestNonEmpty());
        assertEquals(List.of("top", "high1", "high2", "low1", "low2", "zero"), drain(list));
        assertEquals(0, list.size());
        assertEquals(-1, list.highestNonEmpty());
        assertNull(list.pickNext());
    }

    @Test
    void roundRobinByRequeueingAtTheTail() {
        ReadyList list = new ReadyList();
        Tcb a = tcb("a", 100);
        Tcb b = tcb("b", 100);
        Tcb c = tcb("c", 100);
        list.enqueueTail(a);
        list.enqueueTail(b);
        list.enqueueTail(c);
        StringBuilder order = new StringBuilder();
        for (int i = 0; i < 7; i++) {
            Tcb t = list.pickNext();
            order.append(t.name);
            list.enqueueTail(t); // its timeslice ended
        }
        assertEquals("abcabca", order.toString());
    }

    @Test
    void enqueueHeadRunsBeforePeersAndMovesAListedThread() {
        ReadyList list = new ReadyList();
        Tcb a = tcb("a", 50);
        Tcb b = tcb("b", 50);
        Tcb c = tcb("c", 50);
        list.enqueueTail(a);
        list.enqueueTail(b);
        list.enqueueTail(c);
        list.enqueueHead(c); // already listed: moved, not duplicated
        assertEquals(3, list.size());
        assertEquals(List.of("c", "a", "b"), drain(list));
    }

    @Test
    void enqueueTailOfAListedThreadIsANoOp() {
        ReadyList list = new ReadyList();
        Tcb a = tcb("a", 5);
        list.enqueueTail(a);
        list.enqueueTail(a);
        assertEquals(1, list.size());
        assertSame(a, list.pickNext());
        assertNull(list.pickNext());
        assertFalse(a.inReadyList());
    }

    @Test
    void lazyRemovalDropsThreadsThatBlockedWhileListed() {
        ReadyList list = new ReadyList();
        Tcb a = tcb("a", 100);
        Tcb b = tcb("b", 100);
        Tcb c = tcb("c", 100);
        Tcb d = tcb("d", 7);
        list.enqueueTail(a);
        list.enqueueTail(b);
        list.enqueueTail(c);
        list.enqueueTail(d);
        a.setState(ThreadState.WAITING);
        c.setState(ThreadState.DEAD);
        assertEquals(4, list.size(), "blocking does not unlink at once (8.7.3)");
        assertEquals(100, list.highestNonEmpty());
        assertSame(b, list.pickNext());
        assertSame(d, list.pickNext(), "c was dropped on the way");
        assertEquals(0, list.size());
        assertFalse(a.inReadyList());
        assertFalse(c.inReadyList());
        // a woke up again: it can be listed anew
        a.setState(ThreadState.READY);
        list.enqueueTail(a);
        assertSame(a, list.pickNext());
    }

    @Test
    void onlyNonReadyThreadsLeaveTheListEmpty() {
        ReadyList list = new ReadyList();
        Tcb a = tcb("a", 64);
        Tcb b = tcb("b", 63);
        list.enqueueTail(a);
        list.enqueueTail(b);
        a.setState(ThreadState.POLLING);
        b.setState(ThreadState.WAITING);
        assertNull(list.pickNext());
        assertEquals(-1, list.highestNonEmpty());
        assertEquals(0, list.size());
    }

    @Test
    void removeUnlinksFromTheMiddleAndKeepsTheBitmapRight() {
        ReadyList list = new ReadyList();
        Tcb a = tcb("a", 130);
        Tcb b = tcb("b", 130);
        Tcb c = tcb("c", 130);
        Tcb x = tcb("x", 1);
        list.enqueueTail(a);
        list.enqueueTail(b);
        list.enqueueTail(c);
        list.enqueueTail(x);
        list.remove(b);
        list.remove(b); // idempotent
        assertEquals(3, list.size());
        list.remove(a);
        list.remove(c);
        assertEquals(1, list.highestNonEmpty(), "priority 130 is empty now");
        assertTrue(x.inReadyList());
        assertEquals(List.of("x"), drain(list));
    }

    @Test
    void everyPriorityLevelWorks() {
        ReadyList list = new ReadyList();
        for (int p = 0; p < ReadyList.PRIORITIES; p++) {
            list.enqueueTail(tcb("p" + p, p));
        }
        for (int p = ReadyList.PRIORITIES - 1; p >= 0; p--) {
            assertEquals(p, list.highestNonEmpty());
            assertEquals("p" + p, list.pickNext().name);
        }
        assertNull(list.pickNext());
    }
}
