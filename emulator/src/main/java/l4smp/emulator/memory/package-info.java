/**
 * Physical memory (lazily allocated 4 KB frames holding real data), the Pentium's two-level
 * page tables ({@link l4smp.emulator.memory.PageTables}) and the per-CPU MMU
 * ({@link l4smp.emulator.memory.Mmu}: untagged TLBs and a page walker whose PTE reads are
 * accesses of the {@link l4smp.emulator.cache.MemorySystem}).
 */
package l4smp.emulator.memory;
