package l4smp.emulator.memory;

/**
 * A page fault as the kernel sees it: the faulting virtual address (CR2) and the Pentium's
 * error code (bit 0: the page was present, i.e. a protection violation; bit 1: a write;
 * bit 2: from user mode). Built off the hot path by {@link Mmu#describeFault}.
 */
public record PageFault(int virtualAddress, int errorCode) {

    /** Error-code bit: the page was present (protection violation), else not present. */
    public static final int PROTECTION = 1;
    /** Error-code bit: the access was a write. */
    public static final int WRITE = 2;
    /** Error-code bit: the access came from user mode. */
    public static final int USER = 4;

    public boolean protectionViolation() { return (errorCode & PROTECTION) != 0; }

    public boolean notPresent() { return (errorCode & PROTECTION) == 0; }

    public boolean write() { return (errorCode & WRITE) != 0; }

    public boolean user() { return (errorCode & USER) != 0; }

    @Override
    public String toString() {
        return String.format("page fault at 0x%08x (%s, %s, %s)", virtualAddress,
                notPresent() ? "not present" : "protection", write() ? "write" : "read",
                user() ? "user" : "kernel");
    }
}
