package l4smp.kernel;

/**
 * The body of an L4 user thread: plain Java that calls the {@code L4} facade. It runs as a
 * continuation on its CPU; every L4 call is a preemption point. Returning ends the thread; a
 * throw stops it, and the kernel reports the exception with the thread's id and CPU.
 */
@FunctionalInterface
public interface UserProgram {
    void run() throws Exception;
}
