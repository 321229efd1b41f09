package l4smp.kernel.thread;

/**
 * The result of a system call that does not fit the UTCB's words ({@link Tcb#sysResult}): a
 * thread id (thread control) or an exchange-registers result. Written by the kernel on the
 * thread's CPU, read by the thread after its trap returned.
 */
public interface SyscallResult {
}
