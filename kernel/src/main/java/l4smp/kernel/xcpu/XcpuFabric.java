package l4smp.kernel.xcpu;

import l4smp.emulator.cache.AttributionTags;
import l4smp.emulator.cache.KernelRegion;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The machine-wide XCPU structures (thesis 8.3.4, 8.4): the mailboxes of every ordered CPU
 * pair, one packed flag line per CPU, one "IPI not yet acknowledged" word per CPU, and the
 * published time of each CPU's next mailbox check.
 *
 * <h2>Numbering (closing an open point of 8.3.4)</h2>
 * The thesis packs 256 flags in one 32-byte line and leaves open how mailboxes map to flags and
 * how the reply of 8.4.1 ("the ipc mailbox previously used ... can be used for the reply") is
 * flagged on the sender's CPU. Here each ordered pair {@code s -> d} owns
 * {@code perPair = max(1, 128 / cpus)} mailboxes; mailbox {@code (s, d, i)} raises request bit
 * {@code s * perPair + i} (0..127) in {@code d}'s line and, reused for the reply, reply bit
 * {@code 128 + d * perPair + i} in {@code s}'s line. A reply therefore never needs a free
 * mailbox (no mailbox can be exhausted by replies), and each mailbox has its own proxy thread
 * on {@code d} (the pseudo-code's {@code mailbox[id].proxy}).
 *
 * <h2>The next-check word</h2>
 * Each CPU publishes when it checks its mailboxes next (8.3.4's {@code next check(destination)})
 * in a word of its own line, which senders read at every trigger. The value lives in a host
 * array (the Dekker pair with the flag line: a sender's locked flag store, then its volatile
 * read of the word; the owner's store of the word, then a full fence, then its flag loads --
 * the owner publishes with a release store, and the full fence before its check is the
 * StoreLoad barrier, see XpMailboxCheck.publishNextCheck), and its accesses are charged to the
 * line {@link #nextCheckLine}: the owner's publish is a write (an L1 hit, or S to M after a
 * sender read it), a sender's read a read (M to S when the owner wrote it since). The
 * comparison of the published time with the sender's own clock presumes a clock common to all
 * processors, which the Pentium does not have (8.3.4: "Unfortunately on the Intel Pentium
 * processors there is no synchronous clock available"): the emulator's CPU clocks are one
 * simulated time by construction, so here the comparison is exact, an idealisation of what a
 * PIII kernel could publish (in the kernel, idle, or the next timer tick in its own TSC).
 * The host word is no simulated memory, so its owner's store and a sender's load carry no
 * interleaving point of their own: in parallel mode each is an order point
 * ({@code Cpu.orderPoint}), each before its charge, so that a sender at cycle t reads exactly
 * what the owner published before t (ties in CPU index order), as under the deterministic
 * stepper. Without them the IPI decision would depend on how
 * far the owner has run ahead in host time (a CPU in a local IPC loop publishes at every kernel
 * entry and exit), and so would the latencies of a parallel run.
 *
 * <h2>Waiting senders</h2>
 * A sender that found no mailbox to d waits on its own CPU s (XpMailboxWait); the last mailbox
 * of a pair serves only senders whose receiver waits for exactly them. A receiver on d that
 * begins to wait for exactly a sender of s after that sender began to wait cannot touch s's
 * queues: it reads s's waiting-senders word and, if bit d is set, sets bit d of s's recheck
 * word (and triggers s), so that s looks again at its waiters for d. The receiver publishes its
 * WAIT_FOR word, then (full fence) reads the waiting-senders word; the sender's CPU sets its
 * bit, then (full fence) reads WAIT_FOR: a Dekker pair, so either the sender sees that its
 * receiver waits for it, or the receiver sees the bit. These two words are host-only, not
 * charged (like the partner-gone check's read of WAIT_FOR): they stand for words of the CPUs'
 * XCPU lines that a PIII kernel would keep.
 *
 * <p>Thread contract: built at boot (setup thread); afterwards immutable, except the per-CPU
 * next-check words ({@link #nextCheckVolatile}, written by their CPU only), the waiting-senders
 * and recheck words (see "Waiting senders") and the simulated words, which CPUs access through
 * their {@link XcpuMemory}.
 */
public final class XcpuFabric {

    /** The published next check of an idle CPU: never (an IPI is needed). */
    public static final long IDLE = Long.MAX_VALUE;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Longs between two CPUs' next-check words (two host cache lines: no false sharing). */
    private static final int STRIDE = 16;

    private final int cpus;
    private final int perPair;
    private final Mailbox[] mailboxes;
    private final long[] flagLines;
    private final long[] ipiPending;
    private final long[] nextCheck;
    /** The simulated line of each CPU's next-check word (charged; see "The next-check word"). */
    private final long[] nextCheckLines;
    /**
     * Per CPU s, padded: bit d set while senders of s may wait for an ordinary mailbox to d
     * (written by s only); and bit d of the recheck word set by d when one of its threads began
     * to wait for exactly a thread of s (any CPU sets, s takes). See "Waiting senders".
     */
    private final long[] mailboxWaiters;
    private final long[] recheck;

    /** Allocates the structures in {@code region} (setup only). */
    public XcpuFabric(int cpus, KernelRegion region) {
        if (cpus < 2) {
            throw new IllegalArgumentException("XCPU mailboxes need at least 2 CPUs, got " + cpus);
        }
        this.cpus = cpus;
        this.perPair = Math.max(1, (FlagLine.BITS / 2) / cpus);
        this.flagLines = new long[cpus];
        this.ipiPending = new long[cpus];
        this.nextCheck = new long[(cpus + 2) * STRIDE];
        this.nextCheckLines = new long[cpus];
        this.mailboxWaiters = new long[(cpus + 2) * STRIDE];
        this.recheck = new long[(cpus + 2) * STRIDE];
        for (int c = 0; c < cpus; c++) {
            nextCheckLines[c] = region.allocateLines(1, AttributionTags.MAILBOX);
            flagLines[c] = region.allocateBytes(4L * FlagLine.WORDS, AttributionTags.MAILBOX);
            ipiPending[c] = region.allocateLines(1, AttributionTags.MAILBOX);
            LONGS.setRelease(nextCheck, (c + 1) * STRIDE, IDLE);
        }
        this.mailboxes = new Mailbox[cpus * cpus * perPair];
        int line = region.lineBytes();
        int mailboxBytes = Math.max(line, 32);
        for (int s = 0; s < cpus; s++) {
            for (int d = 0; d < cpus; d++) {
                if (s == d) {
                    continue;
                }
                long base = region.allocateBytes((long) mailboxBytes * perPair, AttributionTags.MAILBOX);
                for (int i = 0; i < perPair; i++) {
                    int index = (s * cpus + d) * perPair + i;
                    mailboxes[index] = new Mailbox(s, d, i, index, s * perPair + i,
                            FlagLine.BITS / 2 + d * perPair + i, base + (long) i * mailboxBytes);
                }
            }
        }
    }

    public int cpus() {
        return cpus;
    }

    /** Mailboxes per ordered CPU pair. */
    public int perPair() {
        return perPair;
    }

    /** Mailbox {@code slot} of the pair {@code source -> dest}. */
    public Mailbox mailbox(int source, int dest, int slot) {
        return mailboxes[(source * cpus + dest) * perPair + slot];
    }

    /** Every mailbox (null entries for s == d). */
    public Mailbox[] mailboxes() {
        return mailboxes;
    }

    /** The mailbox behind flag {@code bit} of CPU {@code cpu}'s line. */
    public Mailbox mailboxForBit(int cpu, int bit) {
        if (bit < FlagLine.BITS / 2) {
            return mailbox(bit / perPair, cpu, bit % perPair); // a request to cpu
        }
        int b = bit - FlagLine.BITS / 2;
        return mailbox(cpu, b / perPair, b % perPair); // a reply to a request cpu sent
    }

    /** The packed flag line of {@code cpu}. */
    public long flagLine(int cpu) {
        return flagLines[cpu];
    }

    /** The "XCPU IPI sent and not yet taken" word of {@code cpu}. */
    public long ipiPendingWord(int cpu) {
        return ipiPending[cpu];
    }

    /**
     * When {@code cpu} checks its mailboxes next (its clock), or {@link #IDLE}. Any CPU: a
     * sender reads it after setting a flag (a locked store), so its side of the Dekker pair is
     * the flag store, then this volatile load; the owner's side is its release store of the
     * word ({@link #setNextCheckRelease}), then the full fence of its check
     * (XpMailboxCheck.checkAtExit), then its flag loads.
     */
    public long nextCheckVolatile(int cpu) {
        return (long) LONGS.getVolatile(nextCheck, (cpu + 1) * STRIDE);
    }

    /** The simulated line whose accesses stand for {@code cpu}'s next-check word. */
    public long nextCheckLine(int cpu) {
        return nextCheckLines[cpu];
    }

    /**
     * Publishes when {@code cpu} checks next, a release store without the volatile store's
     * StoreLoad barrier: for a caller that either loads no flag after it (a publish of its clock,
     * "I check at my next exit": the check at that exit comes after a full fence of its own) or
     * issues the full fence before its flag loads itself (XpMailboxCheck.checkAtExit, the
     * receiver's half of the Dekker pair with a sender's flag store and next-check load). Owner
     * CPU only.
     */
    public void setNextCheckRelease(int cpu, long when) {
        LONGS.setRelease(nextCheck, (cpu + 1) * STRIDE, when);
    }

    /**
     * Whether senders of {@code source} may wait for an ordinary mailbox to {@code dest}. Any CPU
     * (the receiver's side of the Dekker pair of "Waiting senders").
     */
    public boolean sendersWaitVolatile(int source, int dest) {
        return (((long) LONGS.getVolatile(mailboxWaiters, (source + 1) * STRIDE)) & (1L << dest)) != 0;
    }

    /** Publishes which destinations {@code source}'s waiting senders wait for (bit d). Owner CPU only. */
    public void setSendersWaitVolatile(int source, long destinations) {
        LONGS.setVolatile(mailboxWaiters, (source + 1) * STRIDE, destinations);
    }

    /** Asks {@code source} to look again at its senders waiting for mailboxes to {@code dest}. Any CPU. */
    public void requestRecheckVolatile(int source, int dest) {
        LONGS.getAndBitwiseOr(recheck, (source + 1) * STRIDE, 1L << dest);
    }

    /** Takes the destinations whose waiters {@code source} must look at again (bit d). Owner CPU only. */
    public long takeRecheckVolatile(int source) {
        int i = (source + 1) * STRIDE;
        return (long) LONGS.getVolatile(recheck, i) == 0 ? 0 : (long) LONGS.getAndSet(recheck, i, 0L);
    }
}
