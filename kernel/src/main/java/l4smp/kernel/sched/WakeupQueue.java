package l4smp.kernel.sched;

import l4smp.kernel.thread.Tcb;

import java.util.Arrays;

/**
 * One CPU's wakeup queue: the threads waiting with a finite timeout, ordered by their wakeup
 * time (a binary min-heap; each TCB keeps its heap index, so removal is O(log n)). Ties are
 * broken by insertion order, so a run is reproducible.
 *
 * <p>Owner CPU only. Grows by doubling (a rare slow path); otherwise allocation-free.
 */
public final class WakeupQueue {

    private Tcb[] heap = new Tcb[64];
    private long[] sequence = new long[64];
    private int size;
    private long nextSequence;

    /** Queues {@code t} to wake at {@code time} (re-queues it if it was queued). */
    public void add(Tcb t, long time) {
        if (t.wakeupIndex() >= 0) {
            remove(t);
        }
        if (size == heap.length) {
            growSlowPath();
        }
        t.setWakeupTime(time);
        heap[size] = t;
        sequence[size] = nextSequence++;
        t.setWakeupIndex(size);
        size++;
        siftUp(size - 1);
    }

    /** Removes {@code t} if queued. */
    public void remove(Tcb t) {
        int i = t.wakeupIndex();
        if (i < 0) {
            return;
        }
        size--;
        t.setWakeupIndex(-1);
        if (i == size) {
            heap[size] = null;
            return;
        }
        move(size, i);
        heap[size] = null;
        siftDown(i);
        siftUp(i);
    }

    /** The earliest queued thread, or {@code null}. */
    public Tcb peek() {
        return size == 0 ? null : heap[0];
    }

    /** The earliest wakeup time, or {@code Long.MAX_VALUE}. */
    public long earliest() {
        return size == 0 ? Long.MAX_VALUE : heap[0].wakeupTime();
    }

    /** How often {@code t} is in the heap (invariant checks: a slow scan). */
    public int occurrences(Tcb t) {
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (heap[i] == t) {
                n++;
            }
        }
        return n;
    }

    public int size() {
        return size;
    }

    private boolean less(int a, int b) {
        long ta = heap[a].wakeupTime();
        long tb = heap[b].wakeupTime();
        return ta < tb || (ta == tb && sequence[a] < sequence[b]);
    }

    private void move(int from, int to) {
        heap[to] = heap[from];
        sequence[to] = sequence[from];
        heap[to].setWakeupIndex(to);
    }

    private void swap(int a, int b) {
        Tcb t = heap[a];
        long s = sequence[a];
        heap[a] = heap[b];
        sequence[a] = sequence[b];
        heap[b] = t;
        sequence[b] = s;
        heap[a].setWakeupIndex(a);
        heap[b].setWakeupIndex(b);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!less(i, parent)) {
                return;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int left = 2 * i + 1;
            if (left >= size) {
                return;
            }
            int smallest = left;
            if (left + 1 < size && less(left + 1, left)) {
                smallest = left + 1;
            }
            if (!less(smallest, i)) {
                return;
            }
            swap(i, smallest);
            i = smallest;
        }
    }

    private void growSlowPath() {
        heap = Arrays.copyOf(heap, heap.length * 2);
        sequence = Arrays.copyOf(sequence, sequence.length * 2);
    }
}
