package l4smp.kernel.sched;

import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class WakeupQueueTest {

    private int next = 1;

    private Tcb tcb(String name) {
        return new Tcb(ThreadId.of(next++, 1), name, 0, 100, false, () -> { });
    }

    private static Tcb pop(WakeupQueue q) {
        Tcb t = q.peek();
        if (t != null) {
            q.remove(t);
        }
        return t;
    }

    @Test
    void emptyQueue() {
        WakeupQueue q = new WakeupQueue();
        assertNull(q.peek());
        assertEquals(Long.MAX_VALUE, q.earliest());
        assertEquals(0, q.size());
    }

    @Test
    void ordersByTimeAndTiesByInsertion() {
        WakeupQueue q = new WakeupQueue();
        Tcb a = tcb("a");
        Tcb b = tcb("b");
        Tcb c = tcb("c");
        Tcb d = tcb("d");
        Tcb e = tcb("e");
        q.add(c, 500);
        q.add(a, 100);
        q.add(d, 500);
        q.add(b, 100);
        q.add(e, 50);
        assertEquals(50, q.earliest());
        StringBuilder order = new StringBuilder();
        Tcb t;
        while ((t = pop(q)) != null) {
            order.append(t.name);
            assertEquals(-1, t.wakeupIndex());
        }
        assertEquals("eabcd", order.toString());
    }

    @Test
    void reAddingMovesAThreadAndCountsAsANewInsertion() {
        WakeupQueue q = new WakeupQueue();
        Tcb a = tcb("a");
        Tcb b = tcb("b");
        q.add(a, 100);
        q.add(b, 100);
        q.add(a, 100); // re-queued: now after b among equals
        assertEquals(2, q.size());
        assertSame(b, pop(q));
        assertSame(a, pop(q));
        q.add(a, 10);
        q.add(a, 1_000);
        assertEquals(1, q.size());
        assertEquals(1_000, q.earliest());
    }

    @Test
    void removalFromAnywhereKeepsTheHeapOrdered() {
        WakeupQueue q = new WakeupQueue();
        Random random = new Random(12345);
        List<Tcb> queued = new ArrayList<>();
        for (int round = 0; round < 2_000; round++) {
            int op = random.nextInt(3);
            if (op < 2 || queued.isEmpty()) {
                Tcb t = queued.size() < 300 && random.nextBoolean() ? tcb("t") : queued.isEmpty() ? tcb("t")
                        : queued.get(random.nextInt(queued.size()));
                q.add(t, random.nextInt(50));
                if (!queued.contains(t)) {
                    queued.add(t);
                }
            } else {
                Tcb t = queued.remove(random.nextInt(queued.size()));
                q.remove(t);
                q.remove(t); // idempotent
            }
            assertEquals(queued.size(), q.size());
            long min = queued.stream().mapToLong(x -> x.wakeupTime()).min().orElse(Long.MAX_VALUE);
            assertEquals(min, q.earliest());
        }
        // drain: non-decreasing times, and the heap never loses or duplicates a thread
        List<Tcb> drained = new ArrayList<>();
        long last = Long.MIN_VALUE;
        Tcb t;
        while ((t = pop(q)) != null) {
            assertEquals(true, t.wakeupTime() >= last);
            last = t.wakeupTime();
            drained.add(t);
        }
        queued.sort(Comparator.comparingInt(x -> x.id.number()));
        drained.sort(Comparator.comparingInt(x -> x.id.number()));
        assertEquals(queued, drained);
    }

    @Test
    void growsBeyondItsInitialCapacityKeepingTieOrder() {
        WakeupQueue q = new WakeupQueue();
        List<Tcb> all = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            Tcb t = tcb("t" + i);
            all.add(t);
            q.add(t, i % 2 == 0 ? 7 : 3);
        }
        List<Tcb> expected = new ArrayList<>();
        for (int i = 1; i < 1_000; i += 2) {
            expected.add(all.get(i));
        }
        for (int i = 0; i < 1_000; i += 2) {
            expected.add(all.get(i));
        }
        List<Tcb> drained = new ArrayList<>();
        Tcb t;
        while ((t = pop(q)) != null) {
            drained.add(t);
        }
        assertEquals(expected, drained);
    }
}
