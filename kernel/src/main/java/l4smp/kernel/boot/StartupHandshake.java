package l4smp.kernel.boot;

import l4smp.kernel.xcpu.XcpuMemory;

/**
 * The words of the SMP boot (thesis 8.2) and the handshake on them between the bootstrap
 * processor (BSP) and one application processor (AP) at a time, on simulated memory through
 * {@link XcpuMemory} (the kernel charges every access; the jcstress tests run the same code on
 * host threads).
 *
 * <h2>Words (one line each, at {@code base + k * stride})</h2>
 * <ul>
 *   <li>{@link #NUMBER}: the processors up so far. The BSP writes 1 (itself, processor number 1);
 *       an AP takes its logical index (its processor number minus one) with an atomic
 *       fetch-and-add on it (8.2: "the application processors spin for their processor numbers
 *       using an atomic exchange and add instruction").</li>
 *   <li>{@link #EXPECT}: the physical CPU the BSP started and waits for, or {@link #NOBODY}.</li>
 *   <li>{@link #ARRIVED}: APs that finished their local initialisation (the first barrier).</li>
 *   <li>{@link #RELEASE}: 0 until the BSP has published the numbering; then the highest
 *       processor number k ("the other processors wait until being released explicitly").</li>
 *   <li>{@link #ADMITTED}: processors that took their threads (the second barrier).</li>
 * </ul>
 *
 * <h2>Why EXPECT: an AP that answers after the timeout</h2>
 * The BSP waits for an AP with a timeout and then masks it out. An AP that is merely slow must
 * then not take a number (the numbering would no longer be compact). Before its fetch-and-add
 * the AP claims the EXPECT word ({@code cas(EXPECT, self, CLAIMED)}); a BSP that times out gives
 * up with {@code cas(EXPECT, ap, GIVEN_UP)}. Exactly one CAS wins: either the AP counts (and the
 * BSP, whose CAS failed, waits for the number it is about to take) or the BSP masks it (and the
 * AP, whose CAS failed, stays halted). Invariant: NUMBER = 1 + the APs whose claim succeeded.
 *
 * <p>Thread contract: {@link #expect}, {@link #giveUp}, {@link #release} on the BSP;
 * {@link #claimNumber}, {@link #arrive}, {@link #admitted} on the AP; the readers on either.
 * Stateless (the state is the words).
 */
public final class StartupHandshake {

    private StartupHandshake() {
    }

    /** Word indices. */
    public static final int NUMBER = 0;
    public static final int EXPECT = 1;
    public static final int ARRIVED = 2;
    public static final int RELEASE = 3;
    public static final int ADMITTED = 4;
    /** Lines the handshake needs. */
    public static final int LINES = 5;

    /** EXPECT: no AP is being started. */
    public static final int NOBODY = -1;
    /** EXPECT: the AP claimed its start (it takes a number). */
    public static final int CLAIMED = -2;
    /** EXPECT: the BSP gave up on the AP (timeout): it is masked out. */
    public static final int GIVEN_UP = -3;

    /** The BSP, before any AP: it is processor number 1; nobody expected. */
    public static void init(XcpuMemory mem, long base, int stride) {
        mem.storeRelease(base + (long) EXPECT * stride, NOBODY);
        mem.storeRelease(base + (long) NUMBER * stride, 1);
    }

    /** The BSP, before the startup IPI to physical CPU {@code ap}: returns NUMBER before it. */
    public static int expect(XcpuMemory mem, long base, int stride, int ap) {
        mem.storeRelease(base + (long) EXPECT * stride, ap);
        return mem.loadAcquire(base + (long) NUMBER * stride);
    }

    /**
     * The AP {@code self}, once started: claims its start and takes its logical index by
     * fetch-and-add; -1 when the BSP had given up on it (it must stay halted).
     */
    public static int claimNumber(XcpuMemory mem, long base, int stride, int self) {
        if (!mem.casVolatile(base + (long) EXPECT * stride, self, CLAIMED)) {
            return -1;
        }
        return mem.fetchAddVolatile(base + (long) NUMBER * stride, 1);
    }

    /** The BSP, at the timeout: true when it gave up on {@code ap} before the AP claimed. */
    public static boolean giveUp(XcpuMemory mem, long base, int stride, int ap) {
        return mem.casVolatile(base + (long) EXPECT * stride, ap, GIVEN_UP);
    }

    /** NUMBER: processors up so far. */
    public static int number(XcpuMemory mem, long base, int stride) {
        return mem.loadAcquire(base + (long) NUMBER * stride);
    }

    /** The AP, at the first barrier (its local initialisation done). */
    public static void arrive(XcpuMemory mem, long base, int stride) {
        mem.fetchAddVolatile(base + (long) ARRIVED * stride, 1);
    }

    /** APs arrived at the first barrier. */
    public static int arrived(XcpuMemory mem, long base, int stride) {
        return mem.loadAcquire(base + (long) ARRIVED * stride);
    }

    /**
     * The BSP: releases the APs with the highest processor number {@code k}. Release store: the
     * numbering and everything else the BSP wrote before it are visible to an AP that reads it.
     */
    public static void release(XcpuMemory mem, long base, int stride, int k) {
        mem.storeRelease(base + (long) RELEASE * stride, k);
    }

    /** 0 before the release, else the highest processor number. */
    public static int released(XcpuMemory mem, long base, int stride) {
        return mem.loadAcquire(base + (long) RELEASE * stride);
    }

    /** A processor took its threads (the second barrier): returns how many had before. */
    public static int admitted(XcpuMemory mem, long base, int stride) {
        return mem.fetchAddVolatile(base + (long) ADMITTED * stride, 1);
    }

    /** Processors that took their threads. */
    public static int admittedCount(XcpuMemory mem, long base, int stride) {
        return mem.loadAcquire(base + (long) ADMITTED * stride);
    }
}
