package l4smp.emulator.apic;

import l4smp.emulator.Machine;
import l4smp.emulator.cpu.Cpu;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The IO-APIC (thesis 3.3): device interrupt lines routed to a fixed CPU or to the CPU of lowest
 * priority, delivered to the target's local APIC as vector {@code VECTOR_BASE + line}.
 *
 * <p>Delivery latency comes from the APIC bus of 3.3: a message to a fixed destination takes 21
 * bus cycles, a lowest-priority message 34 (an arbitration message to all processors); one bus
 * cycle at 16 MHz is {@code clockMhz / 16} CPU cycles (about 28 on the 450 MHz PIII).
 *
 * <p>Lowest priority: each local APIC publishes a task priority (the kernel writes the priority
 * of the thread it runs, -1 when idle); the line goes to the lowest one, ties taken in turn.
 * The routes and the task priorities are host words other CPUs change (a handler's attach
 * routes its line; a CPU rewrites its priority as it switches threads and goes idle): the kernel
 * writes each at an order point ({@code Cpu.orderPoint}; {@code Cpu.publishTaskPriority}), and a raise reads
 * them at one, so that in parallel mode with exact timing a raise at cycle t sees exactly what
 * was published before t, as the deterministic stepper does.
 *
 * <p>Concurrent: routes are written by any CPU (the kernel attaching a handler) and read by the
 * CPU that raises the line; per-line counters are atomic (lines are raised rarely compared
 * with the CPUs' hot paths).
 */
public final class IoApic {

    /** Interrupt lines. */
    public static final int LINES = 24;
    /** The vector of line 0 (vectors below are the processor's exceptions). */
    public static final int VECTOR_BASE = 32;
    /** APIC bus cycles of a fixed-destination interrupt message (3.3.1). */
    public static final int FIXED_MESSAGE_BUS_CYCLES = 21;
    /** APIC bus cycles of a lowest-priority (arbitrated) interrupt message (3.3). */
    public static final int LOWEST_PRIORITY_MESSAGE_BUS_CYCLES = 34;
    /** The APIC bus clock (3.3.1: 16 MHz). */
    public static final int APIC_BUS_MHZ = 16;

    /** Route encoding: a CPU index, or this for lowest priority. */
    public static final int LOWEST_PRIORITY = -1;

    private final Machine machine;
    private final AtomicIntegerArray routes = new AtomicIntegerArray(LINES);
    private final AtomicLongArray raised = new AtomicLongArray(LINES);
    private final AtomicIntegerArray nextTie = new AtomicIntegerArray(LINES);
    private final int fixedLatency;
    private final int lowestPriorityLatency;

    public IoApic(Machine machine) {
        this.machine = machine;
        int mhz = machine.config().costModel().clockMhz();
        this.fixedLatency = FIXED_MESSAGE_BUS_CYCLES * mhz / APIC_BUS_MHZ;
        this.lowestPriorityLatency = LOWEST_PRIORITY_MESSAGE_BUS_CYCLES * mhz / APIC_BUS_MHZ;
    }

    /** Routes {@code line} to CPU {@code cpu}, or {@link #LOWEST_PRIORITY}. Any thread. */
    public void route(int line, int cpu) {
        checkLine(line);
        if (cpu != LOWEST_PRIORITY && (cpu < 0 || cpu >= machine.cpuCount())) {
            throw new IllegalArgumentException("IO-APIC line " + line + ": no CPU " + cpu);
        }
        routes.set(line, cpu);
    }

    /** The route of {@code line}. Any thread. */
    public int routeOf(int line) {
        checkLine(line);
        return routes.get(line);
    }

    /**
     * Raises {@code line}: picks the target and posts the interrupt to its local APIC, stamped
     * with {@code raiser}'s clock (the device's timeline). Called on {@code raiser}'s CPU.
     * Returns the target CPU.
     */
    public int raise(int line, Cpu raiser) {
        checkLine(line);
        raiser.orderPoint(); // partner: the order points before a route's or a task priority's publish (kernel)
        raised.incrementAndGet(line);
        int route = routes.get(line);
        int target;
        int latency;
        if (route == LOWEST_PRIORITY) {
            target = lowestPriorityCpu(line);
            latency = lowestPriorityLatency;
        } else {
            target = route;
            latency = fixedLatency;
        }
        raiser.postDeviceInterrupt(machine.cpu(target), VECTOR_BASE + line, latency);
        return target;
    }

    private int lowestPriorityCpu(int line) {
        int n = machine.cpuCount();
        int best = Integer.MAX_VALUE;
        int ties = 0;
        for (int i = 0; i < n; i++) {
            int p = machine.cpu(i).apic().taskPriorityOpaque();
            if (p < best) {
                best = p;
                ties = 1;
            } else if (p == best) {
                ties++;
            }
        }
        int pick = Math.floorMod(nextTie.getAndIncrement(line), ties);
        for (int i = 0; i < n; i++) {
            if (machine.cpu(i).apic().taskPriorityOpaque() == best && pick-- == 0) {
                return i;
            }
        }
        return 0; // priorities changed under us: any CPU is a valid lowest-priority pick
    }

    /** How often {@code line} was raised. Any thread. */
    public long raisedCount(int line) {
        checkLine(line);
        return raised.get(line);
    }

    private static void checkLine(int line) {
        if (line < 0 || line >= LINES) {
            throw new IllegalArgumentException("IO-APIC line must be 0.." + (LINES - 1) + ", got " + line);
        }
    }
}
