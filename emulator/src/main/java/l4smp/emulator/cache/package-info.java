/**
 * The accounting layer: per-CPU L1/L2 caches (tags and LRU), the global MESI directory,
 * per-CPU counters and the attribution of coherence misses to named owners.
 *
 * <p>Threads: each CPU's caches, memos and counters are written by that CPU's thread only
 * (counters with opaque stores, read anywhere with opaque loads). The directory is built in one
 * {@link l4smp.emulator.cache.DirectoryMode}: {@code CONCURRENT} (lock-free: a transition is a
 * CAS of the line's word, read elsewhere with acquire) when several CPU threads use the layer at
 * once, {@code SINGLE_WRITER} (a transition is an opaque store) when one host thread at a time
 * makes every access (deterministic mode, a parallel run of one CPU); {@code Machine} picks it
 * and refuses to start several CPU threads on a single-writer layer.
 *
 * <p>Entry points:
 * <ul>
 * <li>{@link l4smp.emulator.cache.MemorySystem}: {@code access(cpu, physAddr, kind)} returns the
 *     cycles to charge; counters ({@code countOpaque}, {@code totalsOpaque}); the invariant
 *     checker ({@code checkInvariants().orThrow()}).</li>
 * <li>{@link l4smp.emulator.cache.ConcurrentMesiDirectory}: the directory's algorithm, its
 *     invariants and its two modes.</li>
 * <li>{@link l4smp.emulator.cache.KernelRegion} and
 *     {@link l4smp.emulator.cache.ConcurrentAttributionRegistry}: simulated addresses for kernel
 *     data, tagged with their owner ({@link l4smp.emulator.cache.AttributionTags}).</li>
 * <li>{@code experiments}: the thesis's section 3.2 procedures and the appendix A spinlock
 *     contention, run on this layer.</li>
 * </ul>
 * Address translation (TLB, page walks) is in {@link l4smp.emulator.memory}.
 */
package l4smp.emulator.cache;
