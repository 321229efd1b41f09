package l4smp.kernel.thread;

/** The states of an L4 thread (thesis 8.3.2 names them so). */
public enum ThreadState {
    /** Runnable: in its CPU's ready list or running. */
    READY,
    /** Waiting in its receive phase for a sender (open or closed). */
    WAITING,
    /** Waiting in its send phase for the receiver to get ready ("polling", inactively). */
    POLLING,
    /**
     * "Locked waiting" (thesis 8.3.5): the thread's cross-processor send is in the hands of a
     * proxy on the receiver's CPU; only the reply mailbox of that proxy (8.4.1) makes it run
     * again. No local timeout: the proxy keeps the send timeout.
     */
    LOCKED_WAITING,
    /** Terminated (its program returned or threw) or deleted. */
    DEAD
}
