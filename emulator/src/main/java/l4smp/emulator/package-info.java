/**
 * The simulated SMP hardware of l4smp: {@link l4smp.emulator.Machine}, its CPUs, local APICs,
 * the simulated clocks and the deterministic-interleaving control.
 *
 * <h2>Memory-ordering naming scheme (the whole code base)</h2>
 * Every accessor of a field that another host thread reads or writes names its memory ordering
 * in its name, with these suffixes (the same vocabulary as Agrona and {@code VarHandle}):
 * <ul>
 *   <li>{@code fooPlain()} / {@code setFooPlain(v)}: no ordering; owner-thread only, or data
 *       published by a later release/volatile store and read after an acquire.</li>
 *   <li>{@code fooOpaque()} / {@code setFooOpaque(v)}: coherent and atomic, no ordering of
 *       other accesses; for monitoring values (progress counters, a clock read for a report).</li>
 *   <li>{@code fooAcquire()}: load-acquire: later accesses are not reordered before it.</li>
 *   <li>{@code setFooRelease(v)}: store-release: earlier accesses are not reordered after it.
 *       A release store paired with an acquire load of the same field publishes everything the
 *       writer did before it.</li>
 *   <li>{@code fooVolatile()} / {@code setFooVolatile(v)}: sequentially consistent; used where
 *       a store must not be reordered with a later load (the Dekker-style parking handshake of
 *       a CPU and the senders of interrupts).</li>
 *   <li>{@code casFoo(expect, update)}: a volatile compare-and-set.</li>
 * </ul>
 * An accessor without a suffix is owner-only; its Javadoc says so ("owner CPU only").
 *
 * <h2>Thread contracts</h2>
 * A simulated CPU is a host thread (parallel mode) or a continuation stepped by one host thread
 * (deterministic mode). State owned by a CPU is touched by that CPU only, with plain accesses;
 * other CPUs reach it through the interrupt mailbox of {@link l4smp.emulator.apic.LocalApic}.
 * Type names say when an object is shared: {@code Concurrent...} may be used by any thread,
 * {@code SingleWriter...} has one writer and any number of (opaque) readers.
 */
package l4smp.emulator;
