package l4smp.kernel;

import l4smp.kernel.thread.SyscallArgument;
import l4smp.kernel.thread.ThreadId;

/** The arguments of thread-control variants, as the trap carries them. */
public final class ThreadControlRequests {

    private ThreadControlRequests() {
    }

    /**
     * Create a thread with the global id {@code dest} (X.2 ThreadControl's dest: number and
     * version; nil: the kernel picks a free number, version 1) from {@code spec} (an
     * {@link ThreadSpec#inactive} spec: the thread is inactive until started).
     */
    public record Create(ThreadId dest, ThreadSpec spec) implements SyscallArgument {
    }

    /** Attach the caller as the handler of interrupt line {@code line}. */
    public record Attach(int line) implements SyscallArgument {
    }
}
