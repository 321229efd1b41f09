package l4smp.emulator.cpu;

/**
 * The identity of a guest thread (an L4 user thread: a continuation) while a CPU runs it in
 * parallel mode: {@link Thread#currentThread()} inside the continuation returns this object, not
 * the CPU's host thread. Never started.
 *
 * <p>Why: a guest thread migrates between CPUs, so its continuation resumes on another host
 * thread. C2 treats {@code Thread.currentThread()} as fixed within a compiled frame (right for
 * virtual threads, whose identity survives a yield); code of the guest that looked up "my CPU"
 * through the host thread would, once compiled, keep using the CPU it ran on before it moved.
 * With this identity installed for the time the continuation runs (as the JDK does for a
 * virtual thread on its carrier), the current thread is the same on every host thread, and the
 * CPU is read from memory ({@link #runningCpu()}), which compiled code reloads after every call.
 */
public abstract class GuestThread extends Thread {

    protected GuestThread(String name) {
        super(null, null, name, 0, false);
    }

    /** The CPU that runs this guest thread now (set by its dispatcher before it resumes it). */
    public abstract Cpu runningCpu();
}
