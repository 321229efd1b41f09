package l4smp.tests.jcstress.space;

import l4smp.kernel.space.TlbShootdown;

/**
 * The CPUs of a shootdown test with one address space: every CPU has space 1 loaded and no comm
 * window, and an invalidation or a flush drops one entry. A test overrides what it observes
 * ({@link #sendIpi} always: how an IPI reaches the other CPU is what such a test is about).
 *
 * <p>Thread contract: any thread (the answers are constants).
 */
public abstract class OneSpaceCpus implements TlbShootdown.Cpus {

    @Override
    public int currentSpaceVolatile(int cpu) {
        return 1;
    }

    @Override
    public int commSpaceVolatile(int cpu) {
        return -1;
    }

    @Override
    public int invalidate(int cpu, int space, int va) {
        return 1;
    }

    @Override
    public int flushAll(int cpu) {
        return 1;
    }
}
