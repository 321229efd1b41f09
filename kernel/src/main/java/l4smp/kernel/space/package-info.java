/**
 * Address spaces, the mapping database, sigma0, page faults as IPC, long IPC across spaces and
 * TLB shootdown (thesis 2.2, 3.1.1, 8.3.2 transmit path, 8.4.2, 8.8, 9.3; implementation
 * decision 5; the API of L4 X.2).
 *
 * <p>Threads without a space ({@code Tcb.space == null}) keep the flat, identity-mapped space of
 * the kernel before this package existed; a thread with a space translates every user access
 * through its page tables, the CPU's TLB and the Pentium walker ({@code Mmu}).
 */
package l4smp.kernel.space;
