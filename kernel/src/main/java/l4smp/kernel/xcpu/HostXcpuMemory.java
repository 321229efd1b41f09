package l4smp.kernel.xcpu;

import l4smp.emulator.memory.PhysicalMemory;

/**
 * {@link XcpuMemory} straight on {@link PhysicalMemory}, with no simulated CPU and no accounting:
 * for testing the XCPU mechanisms as standalone objects on real host threads (jcstress). Any
 * thread.
 */
public final class HostXcpuMemory implements XcpuMemory {

    private final PhysicalMemory memory;

    public HostXcpuMemory(PhysicalMemory memory) {
        this.memory = memory;
    }

    @Override
    public int loadAcquire(long pa) {
        return memory.intAcquire(pa);
    }

    @Override
    public void storeRelease(long pa, int value) {
        memory.setIntRelease(pa, value);
    }

    @Override
    public int xchgVolatile(long pa, int value) {
        return memory.getAndSetInt(pa, value);
    }

    @Override
    public boolean casVolatile(long pa, int expect, int update) {
        return memory.casInt(pa, expect, update);
    }

    @Override
    public int fetchAddVolatile(long pa, int delta) {
        return memory.getAndAddInt(pa, delta);
    }

    @Override
    public void spinUntilEquals(long pa, int value, String reason) {
        while (memory.intAcquire(pa) != value) {
            Thread.onSpinWait();
        }
    }
}
