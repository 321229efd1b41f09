package l4smp.kernel.space;

import l4smp.emulator.cpu.Cpu;

/**
 * Shootdowns held back while a kernel path holds a spinlock under which it may map or unmap (a
 * TCB lock, 8.3.3): until the matching {@link #release}, map and unmap revoke and record their
 * pages and invalidate the CPU's own TLB, but send no shootdown IPI and wait for no
 * acknowledgement, so no CPU ever waits for a shootdown while another spins for the lock it
 * holds (see "No lock across a shootdown" in SpaceMappings).
 *
 * <p>Thread contract: owner CPU only (each CPU holds and releases its own).
 */
public final class ShootdownHolds {

    private final Spaces spaces;

    ShootdownHolds(Spaces spaces) {
        this.spaces = spaces;
    }

    /** CPU {@code cpu}'s kernel path takes such a spinlock. Nests. */
    public void hold(int cpu) {
        spaces.shootdown.hold(cpu);
    }

    /**
     * The spinlock of the matching {@link #hold} is released: when no hold is left, the
     * shootdown recorded meanwhile completes now (IPIs, acknowledgements), with no lock held.
     * Returns whether no hold is left (what waited for the shootdown may go on).
     */
    public boolean release(Cpu cpu) {
        if (spaces.shootdown.release(cpu.index())) {
            spaces.spaceMappings.completeShootdown(cpu);
        }
        return !spaces.shootdown.held(cpu.index());
    }

    /**
     * Whether a shootdown of {@code cpu} waits for the release of its holds (a map or unmap ran
     * under a held spinlock): whoever would report the operation's end to another CPU waits for
     * it too.
     */
    public boolean deferred(int cpu) {
        return spaces.shootdown.deferred(cpu);
    }
}
