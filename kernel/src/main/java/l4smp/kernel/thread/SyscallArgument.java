package l4smp.kernel.thread;

/**
 * The argument of a system call that does not fit the trap's registers ({@link Tcb#sysArgument}):
 * a thread to create, an interrupt to attach, an address-space request, an exchange-registers
 * request, or the kernel's own record of such a call in progress (a cross-processor
 * exchange-registers operation, the give-up time of a retried schedule). Written by the
 * calling thread before its trap and consumed by the kernel on the thread's CPU.
 */
public interface SyscallArgument {
}
