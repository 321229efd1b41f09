package l4smp.kernel.xcpu;

import l4smp.emulator.cpu.Cpu;

/**
 * {@link XcpuMemory} on a simulated CPU: every operation goes through {@link Cpu}'s accessors,
 * so it is charged by the MESI accounting layer and is an interleaving point (deterministic
 * mode). Owner CPU only.
 */
public final class CpuXcpuMemory implements XcpuMemory {

    private final Cpu cpu;

    /** The last spin's address and its reason with the address (built once per address). */
    private long lastSpinPa = -1;
    private String lastSpinReason;

    public CpuXcpuMemory(Cpu cpu) {
        this.cpu = cpu;
    }

    @Override
    public int loadAcquire(long pa) {
        return cpu.loadInt(pa); // Cpu.loadInt reads with acquire at its interleaving point, then charges
    }

    @Override
    public void storeRelease(long pa, int value) {
        cpu.storeInt(pa, value); // Cpu.storeInt stores with release before charging the access
    }

    @Override
    public int xchgVolatile(long pa, int value) {
        return cpu.xchgInt(pa, value);
    }

    @Override
    public boolean casVolatile(long pa, int expect, int update) {
        return cpu.casInt(pa, expect, update);
    }

    @Override
    public int fetchAddVolatile(long pa, int delta) {
        return cpu.fetchAddInt(pa, delta);
    }

    @Override
    public void spinUntilEquals(long pa, int value, String reason) {
        // Slow path (contention): the condition object is allocated here only; the reason with
        // the address (for a stuck report) is built once per address, not once per contention.
        if (pa != lastSpinPa || !lastSpinReason.startsWith(reason)) {
            lastSpinPa = pa;
            lastSpinReason = reason + " at 0x" + Long.toHexString(pa);
        }
        cpu.spinWaitUntil(() -> cpu.loadInt(pa) == value, lastSpinReason, false);
    }
}
