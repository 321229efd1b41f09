package l4smp.kernel.space;

/**
 * Thrown into a user program whose access faulted and whose page fault could not be resolved:
 * it has no pager, the pager is gone or on another processor (cross-processor page-fault IPC
 * needs the XP kernel), or the address is in the kernel area. The thread stops (the kernel
 * reports it as a failed thread) unless the program catches it.
 */
public final class UnresolvedPageFault extends RuntimeException {

    private final long address;

    public UnresolvedPageFault(long address, String why) {
        super("page fault at 0x" + Long.toHexString(address) + " not resolved: " + why);
        this.address = address;
    }

    public long address() {
        return address;
    }
}
