package l4smp.kernel.sched;

import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadState;

/**
 * One CPU's ready list: 256 priority levels of round-robin FIFO lists, with a bitmap of the
 * non-empty levels (design decision 1: scheduling is per processor).
 *
 * <p>Lazy removal (thesis 8.7.3): a thread that stops being ready while it is in the list is not
 * unlinked at once; {@link #pickNext()} drops such threads when it meets them, which keeps the
 * blocking path of IPC free of list surgery.
 *
 * <p>Owner CPU only; allocation-free after construction.
 */
public final class ReadyList {

    public static final int PRIORITIES = 256;

    private final Tcb[] heads = new Tcb[PRIORITIES];
    private final Tcb[] tails = new Tcb[PRIORITIES];
    private final long[] nonEmpty = new long[PRIORITIES / 64];
    private int size;

    /** Appends {@code t} at the tail of its priority's list, unless it is already listed. */
    public void enqueueTail(Tcb t) {
        if (t.inReadyList()) {
            return;
        }
        int p = t.priority();
        t.setReadyNext(null);
        t.setReadyPrev(tails[p]);
        if (tails[p] == null) {
            heads[p] = t;
        } else {
            tails[p].setReadyNext(t);
        }
        tails[p] = t;
        t.setInReadyList(true);
        nonEmpty[p >>> 6] |= 1L << (p & 63);
        size++;
    }

    /** Puts {@code t} at the head of its priority's list (it continues before its peers). */
    public void enqueueHead(Tcb t) {
        if (t.inReadyList()) {
            remove(t);
        }
        int p = t.priority();
        t.setReadyPrev(null);
        t.setReadyNext(heads[p]);
        if (heads[p] == null) {
            tails[p] = t;
        } else {
            heads[p].setReadyPrev(t);
        }
        heads[p] = t;
        t.setInReadyList(true);
        nonEmpty[p >>> 6] |= 1L << (p & 63);
        size++;
    }

    /** Unlinks {@code t} if it is listed. */
    public void remove(Tcb t) {
        if (!t.inReadyList()) {
            return;
        }
        int p = t.priority();
        if (t.readyPrev() == null) {
            heads[p] = t.readyNext();
        } else {
            t.readyPrev().setReadyNext(t.readyNext());
        }
        if (t.readyNext() == null) {
            tails[p] = t.readyPrev();
        } else {
            t.readyNext().setReadyPrev(t.readyPrev());
        }
        t.setReadyNext(null);
        t.setReadyPrev(null);
        t.setInReadyList(false);
        if (heads[p] == null) {
            nonEmpty[p >>> 6] &= ~(1L << (p & 63));
        }
        size--;
    }

    /**
     * Removes and returns the first ready thread of the highest non-empty priority, dropping
     * threads that are no longer ready on the way (lazy removal); {@code null} if none.
     */
    public Tcb pickNext() {
        while (true) {
            int p = highestNonEmpty();
            if (p < 0) {
                return null;
            }
            Tcb t = heads[p];
            remove(t);
            if (t.state() == ThreadState.READY && !t.halted()) {
                return t;
            }
            // lazily removed: it blocked, died or was halted while listed
        }
    }

    /** The highest priority with a listed thread (ready or lazily kept), or -1. */
    public int highestNonEmpty() {
        for (int w = nonEmpty.length - 1; w >= 0; w--) {
            long bits = nonEmpty[w];
            if (bits != 0) {
                return w * 64 + 63 - Long.numberOfLeadingZeros(bits);
            }
        }
        return -1;
    }

    /**
     * How often {@code t} is linked in this list, over every priority (invariant checks: a slow
     * walk; call when the machine has stopped).
     */
    public int occurrences(Tcb t) {
        int n = 0;
        for (int p = 0; p < PRIORITIES; p++) {
            int guard = 0;
            for (Tcb x = heads[p]; x != null && guard <= size; x = x.readyNext(), guard++) {
                if (x == t) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Listed threads, including lazily kept non-ready ones. */
    public int size() {
        return size;
    }
}
