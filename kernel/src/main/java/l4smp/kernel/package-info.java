/**
 * The L4 SMP microkernel of the thesis, running on the emulator's CPUs.
 *
 * <p>The concurrency rule of the whole kernel is the thesis's implementation decision 3: every
 * operation that modifies a thread runs on that thread's current CPU. Per-CPU ready lists,
 * wakeup queues and TCB-local fields are touched by their owner CPU only, with plain fields and
 * no locks ({@link l4smp.kernel.KernelCpu}). The few TCB fields other CPUs read use the
 * memory-ordering accessors named in {@code l4smp.emulator}'s package documentation.
 *
 * <p>Inside the kernel no thread runs on the current CPU (section 8): a system call is a
 * {@code Continuation.yield} of the user thread's continuation, and the kernel path runs on the
 * CPU's own duty cycle, where "interrupts disabled" means that no other local work interleaves.
 */
package l4smp.kernel;
