package l4smp.kernel.space;

import l4smp.emulator.cpu.SpinCondition;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * TLB shootdown (thesis 3.1.1, 9.3; implementation decision 5): the Pentium invalidates TLB
 * entries only on the local processor, so an unmap that removed or weakened page-table entries
 * asks every other processor that may cache them to invalidate its own entries, by IPI, and
 * waits for their acknowledgements before it returns.
 *
 * <p>Per initiating CPU there is one request record (the pages, as space and virtual address, or
 * "flush everything" when there are more than {@link #MAX_PAGES}); per target CPU a word of
 * pending initiators; per initiator a word of outstanding acknowledgements. The initiator fills
 * its record, publishes it by setting its bit in each target's pending word (volatile), sends
 * one IPI to all targets, handles its own TLB directly and waits until every target has cleared
 * its bit in the acknowledgement word. A target services its pending word when it takes the IPI
 * and whenever it waits in the kernel (for the mapping-database lock, or for acknowledgements of
 * its own shootdown): "interrupts enabled", so two CPUs shooting each other never deadlock.
 *
 * <p>Target selection ({@link Policy}): every other processor (implementation decision 5), or
 * only those whose current address space, or whose long-IPC comm window, is one of the spaces
 * the request names (9.3 option 1: the untagged TLB is flushed on every switch of the hardware
 * address space, so another space's entries cannot be cached). The published current space is
 * written (volatile) before the CPU translates in the space, and the initiator reads it
 * (volatile) after clearing the page-table entries: either the initiator sees the space, or the
 * CPU's walk sees the cleared entry.
 *
 * <p><b>Thread contract.</b> {@link #add}/{@link #complete} on the initiating CPU's thread;
 * {@link #service} on the target CPU's own thread. The records are plain, published by the
 * volatile read-modify-writes of the pending words. A standalone object (jcstress tests it
 * with a fake {@link Cpus}).
 */
public final class TlbShootdown {

    /**
     * The IPI vector of a shootdown request: its own, distinct from the XCPU mailbox IPI
     * ({@code Kernel.XCPU_VECTOR}, 0xF0) and the probe (0xF8). The two once shared 0xF0, and
     * with address spaces present every XCPU IPI was taken for a shootdown: its check_n_ack
     * never ran and the mailboxes it announced waited for a poll that an idle CPU never makes.
     */
    public static final int VECTOR = 0xF1;
    /** Pages per request; more flush the whole TLB of each target. */
    public static final int MAX_PAGES = 32;
    /** Distinct spaces per request for target selection; more shoot every CPU down. */
    public static final int MAX_SPACES = 8;
    private static final int STRIDE = 8; // one 64-byte line per CPU's word

    /** Which processors an unmap interrupts. */
    public enum Policy {
        /** Every other processor (implementation decision 5, the thesis's default). */
        ALL,
        /** Only processors whose current space or comm window is affected (9.3 option 1). */
        CURRENT_SPACE
    }

    /** The per-CPU hardware the mechanism drives. */
    public interface Cpus {
        /** The id of the space whose page tables CPU {@code cpu} has loaded, or -1. Any thread (volatile). */
        int currentSpaceVolatile(int cpu);

        /** The id of the space mapped into CPU {@code cpu}'s comm window, or -1. Any thread (volatile). */
        int commSpaceVolatile(int cpu);

        /** Invalidates {@code va} of space {@code space} in {@code cpu}'s TLB; entries dropped. Owner thread. */
        int invalidate(int cpu, int space, int va);

        /** Flushes {@code cpu}'s whole TLB; entries dropped. Owner thread. */
        int flushAll(int cpu);

        /** Sends the shootdown IPI from {@code from} to the CPUs in {@code mask}. */
        void sendIpi(int from, long mask);
    }

    private final Cpus cpus;
    private final int n;
    /** The CPUs the kernel runs on; the boot removes masked-out ones (8.2) before its release. */
    private long allMask;
    private final int[][] pageSpace;
    private final int[][] pageVa;
    private final int[] count;
    private final boolean[] overflow;
    private final int[][] spaceSet;
    private final int[] spaceCount;
    private final AtomicLongArray pending;
    private final AtomicLongArray acks;
    private final SpinCondition[] done;
    /** Per CPU (owner-written, read when stopped): IPIs sent, IPIs saved, entries flushed, requests. */
    private final long[] stats;
    /** Per CPU (owner only): spinlocks held that forbid the shootdown's wait (see {@link #hold}). */
    private final int[] holds;

    public TlbShootdown(int cpuCount, long kernelCpuMask, Cpus cpus) {
        if (cpuCount > 64) {
            throw new IllegalArgumentException("at most 64 CPUs");
        }
        this.cpus = cpus;
        this.n = cpuCount;
        this.allMask = kernelCpuMask;
        this.pageSpace = new int[n][MAX_PAGES];
        this.pageVa = new int[n][MAX_PAGES];
        this.count = new int[n];
        this.overflow = new boolean[n];
        this.spaceSet = new int[n][MAX_SPACES];
        this.spaceCount = new int[n];
        this.pending = new AtomicLongArray(n * STRIDE);
        this.acks = new AtomicLongArray(n * STRIDE);
        this.done = new SpinCondition[n];
        this.stats = new long[n * STRIDE];
        this.holds = new int[n * STRIDE];
        for (int i = 0; i < n; i++) {
            final int cpu = i;
            done[i] = () -> {
                service(cpu); // interrupts enabled while waiting (9.3, 3.1.1)
                return acks.get(cpu * STRIDE) == 0;
            };
        }
    }

    /** Records that {@code va} of space {@code space} must leave the TLBs. Initiator's thread. */
    public void add(int cpu, int space, int va) {
        int c = count[cpu];
        if (c < MAX_PAGES) {
            pageSpace[cpu][c] = space;
            pageVa[cpu][c] = va;
            count[cpu] = c + 1;
        } else {
            overflow[cpu] = true;
        }
        int sc = spaceCount[cpu];
        for (int i = 0; i < Math.min(sc, MAX_SPACES); i++) {
            if (spaceSet[cpu][i] == space) {
                return;
            }
        }
        if (sc < MAX_SPACES) {
            spaceSet[cpu][sc] = space;
        }
        spaceCount[cpu] = sc + 1;
    }

    /** Whether {@code cpu} has recorded pages not yet shot down. */
    public boolean hasPending(int cpu) {
        return count[cpu] > 0 || overflow[cpu];
    }

    /**
     * Shoots the recorded pages down on every CPU that may cache them and returns when all have
     * acknowledged; the record is then empty. Returns the number of IPIs sent. Initiator's
     * thread; {@code waiter} is how it waits (servicing requests meanwhile is done here).
     */
    public int complete(int cpu, Policy policy, MappingDatabase.Waiter waiter) {
        if (!hasPending(cpu)) {
            return 0;
        }
        long others = allMask & ~(1L << cpu);
        long targets;
        if (policy == Policy.ALL || spaceCount[cpu] > MAX_SPACES) {
            targets = others;
        } else {
            targets = 0;
            long m = others;
            while (m != 0) {
                int t = Long.numberOfTrailingZeros(m);
                m &= m - 1;
                int cur = cpus.currentSpaceVolatile(t);
                int comm = cpus.commSpaceVolatile(t);
                for (int i = 0; i < spaceCount[cpu]; i++) {
                    int s = spaceSet[cpu][i];
                    if (s == cur || s == comm) {
                        targets |= 1L << t;
                        break;
                    }
                }
            }
        }
        apply(cpu, cpu);
        int sent = Long.bitCount(targets);
        stats[cpu * STRIDE] += sent;
        stats[cpu * STRIDE + 1] += Long.bitCount(others) - sent;
        stats[cpu * STRIDE + 3]++;
        if (targets != 0) {
            acks.set(cpu * STRIDE, targets);
            long m = targets;
            while (m != 0) {
                int t = Long.numberOfTrailingZeros(m);
                m &= m - 1;
                pending.getAndAccumulate(t * STRIDE, 1L << cpu, (a, b) -> a | b);
            }
            cpus.sendIpi(cpu, targets);
            waiter.await(done[cpu], "TLB shootdown acknowledgements");
        }
        count[cpu] = 0;
        overflow[cpu] = false;
        spaceCount[cpu] = 0;
        return sent;
    }

    /**
     * Invalidates the pages recorded so far in {@code cpu}'s own TLB, ahead of a {@link #complete}
     * that is deferred (it invalidates them once more, harmlessly). Initiator's thread.
     */
    public void applyOwn(int cpu) {
        if (hasPending(cpu)) {
            apply(cpu, cpu);
        }
    }

    /*
     * Holds. A CPU that holds a kernel spinlock must not wait for acknowledgements: a CPU spinning
     * for that lock has interrupts disabled and may never take the IPI (nor free a LINT slot the
     * IPI needs). So a kernel path that takes such a lock and may revoke mappings under it holds
     * the shootdowns of its CPU: the revocations are recorded (and applied to the own TLB) as
     * usual, and complete() runs when the last hold is released, with no lock held. Whoever
     * would tell another CPU that the revoking operation is over waits for that completion too
     * (deferred(cpu) says when).
     */

    /** {@code cpu} takes a spinlock under which its shootdowns must not wait. Nests. Owner thread. */
    public void hold(int cpu) {
        holds[cpu * STRIDE]++;
    }

    /** Whether {@code cpu} holds its shootdowns. Owner thread. */
    public boolean held(int cpu) {
        return holds[cpu * STRIDE] > 0;
    }

    /**
     * {@code cpu} released a spinlock of a {@link #hold}; returns whether that was the last hold
     * and pages wait to be shot down: the caller completes them now. Owner thread.
     */
    public boolean release(int cpu) {
        return --holds[cpu * STRIDE] == 0 && hasPending(cpu);
    }

    /** Whether recorded pages of {@code cpu} wait for the release of its holds. Owner thread. */
    public boolean deferred(int cpu) {
        return holds[cpu * STRIDE] > 0 && hasPending(cpu);
    }

    /**
     * Services the requests pending for {@code cpu}: invalidates and acknowledges. Returns
     * whether there were any. {@code cpu}'s own thread (its IPI handler, or a kernel wait).
     */
    public boolean service(int cpu) {
        if (pending.get(cpu * STRIDE) == 0) {
            return false;
        }
        long from = pending.getAndSet(cpu * STRIDE, 0);
        while (from != 0) {
            int i = Long.numberOfTrailingZeros(from);
            from &= from - 1;
            apply(i, cpu);
            acks.getAndAccumulate(i * STRIDE, ~(1L << cpu), (a, b) -> a & b);
        }
        return true;
    }

    private void apply(int initiator, int cpu) {
        long flushed;
        if (overflow[initiator]) {
            flushed = cpus.flushAll(cpu);
        } else {
            flushed = 0;
            for (int k = 0; k < count[initiator]; k++) {
                flushed += cpus.invalidate(cpu, pageSpace[initiator][k], pageVa[initiator][k]);
            }
        }
        stats[cpu * STRIDE + 2] += flushed;
    }

    /** IPIs sent by {@code cpu}'s shootdowns (read when stopped). */
    public long ipisSent(int cpu) { return stats[cpu * STRIDE]; }

    /** IPIs {@code cpu}'s shootdowns did not send, against shooting down every other CPU. */
    public long ipisSaved(int cpu) { return stats[cpu * STRIDE + 1]; }

    /** TLB entries {@code cpu} dropped for shootdowns (its own and others'). */
    public long entriesFlushed(int cpu) { return stats[cpu * STRIDE + 2]; }

    /** Shootdowns {@code cpu} initiated. */
    public long shootdowns(int cpu) { return stats[cpu * STRIDE + 3]; }

    public int cpuCount() { return n; }

    /**
     * Leaves the CPUs in {@code mask} out of every shootdown: processors the boot masked out
     * (thesis 8.2) never run and never acknowledge. The boot only, before it releases the other
     * processors (the release publishes the new mask).
     */
    public void excludeCpus(long mask) {
        allMask &= ~mask;
    }
}
