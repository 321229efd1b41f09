package l4smp.kernel;

import l4smp.kernel.thread.SyscallArgument;

/** The arguments of thread-control variants, as the trap carries them. */
public final class ThreadControlRequests {

    private ThreadControlRequests() {
    }

    /** Attach the caller as the handler of interrupt line {@code line}. */
    public record Attach(int line) implements SyscallArgument {
    }
}
