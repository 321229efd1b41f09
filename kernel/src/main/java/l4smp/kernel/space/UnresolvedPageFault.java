package l4smp.kernel.space;

/**
 * Thrown into a user program whose access faulted and whose page fault could not be resolved:
 * it has no pager, the pager is gone, the page-fault IPC failed, or the address is in the kernel
 * area. (A pager on another processor is reached by a cross-processor IPC, 8.3.5.) The thread stops (the kernel
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
