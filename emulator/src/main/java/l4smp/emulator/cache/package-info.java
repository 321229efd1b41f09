/**
 * The accounting layer: per-CPU L1/L2 caches (tags and LRU), the global lock-free MESI
 * directory, per-CPU counters and the attribution of coherence misses to named owners.
 *
 * <p>Entry points:
 * <ul>
 * <li>{@link l4smp.emulator.cache.MemorySystem}: {@code access(cpu, physAddr, kind)} returns the
 *     cycles to charge; counters ({@code countOpaque}, {@code totalsOpaque}); the invariant
 *     checker ({@code checkInvariants().orThrow()}).</li>
 * <li>{@link l4smp.emulator.cache.ConcurrentMesiDirectory}: the directory's algorithm and
 *     invariants.</li>
 * <li>{@link l4smp.emulator.cache.KernelRegion} and
 *     {@link l4smp.emulator.cache.ConcurrentAttributionRegistry}: simulated addresses for kernel
 *     data, tagged with their owner ({@link l4smp.emulator.cache.AttributionTags}).</li>
 * <li>{@code experiments}: the thesis's section 3.2 procedures and the appendix A spinlock
 *     contention, run on this layer.</li>
 * </ul>
 * Address translation (TLB, page walks) is in {@link l4smp.emulator.memory}.
 */
package l4smp.emulator.cache;
