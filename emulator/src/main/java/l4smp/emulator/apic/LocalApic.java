package l4smp.emulator.apic;

import org.jctools.queues.MpscArrayQueue;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One CPU's local APIC, as far as inter-processor interrupts go (thesis 3.3, 8.3.4).
 *
 * <h2>Algorithm</h2>
 * The APIC has two LINT slots (the Pentium's LINT0/LINT1): an IPI occupies one from its
 * acceptance until the target's handler sends the EOI. A sender
 * <ol>
 *   <li>claims a free slot with a CAS ({@code FREE -> CLAIMED}); when both are taken, it waits
 *       (the thesis: "the source processor blocks resending the IPI until one slot gets free");</li>
 *   <li>fills the slot's payload with plain stores (vector, source, send time);</li>
 *   <li>marks it {@code PENDING} and offers it to the MPSC inbox (a release: the payload is
 *       published with it);</li>
 *   <li>then the sending CPU raises the target's interrupt flag and unparks it if it sleeps
 *       (see {@link l4smp.emulator.cpu.Cpu}).</li>
 * </ol>
 * The owner CPU polls the inbox, marks the slot {@code IN_SERVICE}, runs the handler and sends
 * the EOI ({@code IN_SERVICE -> FREE}, release), which lets a waiting sender claim the slot.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>At most two IPIs per target are un-acknowledged at any time (the slots are the only
 *       carriers; there is nothing else to put in the inbox).</li>
 *   <li>The inbox never refuses an offer: it holds at most the two slots, and a slot is offered
 *       again only after its EOI, which follows its poll.</li>
 *   <li>No IPI is lost: a slot offered to the inbox is polled by the owner once it sees the
 *       interrupt flag that the sender raises after the offer.</li>
 * </ul>
 */
public final class LocalApic {

    /** The Pentium's two local interrupt slots (LINT0, LINT1). */
    public static final int LINT_SLOTS = 2;

    static final int FREE = 0;
    static final int CLAIMED = 1;
    static final int PENDING = 2;
    static final int IN_SERVICE = 3;

    private final int cpu;
    private final int deliveryCycles;
    private final java.util.function.LongSupplier ownerClock;
    private final IpiSlot[] slots = new IpiSlot[LINT_SLOTS];
    private final MpscArrayQueue<IpiSlot> inbox = new MpscArrayQueue<>(LINT_SLOTS);

    /**
     * @param cpu            the owner CPU's index
     * @param deliveryCycles cycles from the end of the ICR write to the arrival (cost model)
     */
    public LocalApic(int cpu, int deliveryCycles) {
        this(cpu, deliveryCycles, () -> 0L);
    }

    /**
     * @param ownerClock the owner CPU's clock, read (by the owner) when it sends an EOI: the
     *                   freed slot carries that time to the next sender
     */
    public LocalApic(int cpu, int deliveryCycles, java.util.function.LongSupplier ownerClock) {
        this.cpu = cpu;
        this.deliveryCycles = deliveryCycles;
        this.ownerClock = ownerClock;
        for (int i = 0; i < LINT_SLOTS; i++) {
            slots[i] = new IpiSlot(this, i);
        }
    }

    public int cpu() {
        return cpu;
    }

    /**
     * Claims a free LINT slot for an IPI to this APIC, or returns {@code null} when both are
     * occupied. Any thread (the sender).
     */
    public IpiSlot tryClaimSlot() {
        for (IpiSlot slot : slots) {
            if (slot.stateOpaque() == FREE && slot.casState(FREE, CLAIMED)) {
                return slot;
            }
        }
        return null;
    }

    /** Whether a slot is free now (a sender's wait condition). Any thread. */
    public boolean hasFreeSlotAcquire() {
        for (IpiSlot slot : slots) {
            if (slot.stateAcquire() == FREE) {
                return true;
            }
        }
        return false;
    }

    /** The number of un-acknowledged IPIs (claimed, pending or in service). Any thread; a snapshot. */
    public int occupiedSlotsAcquire() {
        int n = 0;
        for (IpiSlot slot : slots) {
            if (slot.stateAcquire() != FREE) {
                n++;
            }
        }
        return n;
    }

    /**
     * Fills a claimed slot and posts it to the inbox. Sender only, after {@link #tryClaimSlot()}.
     * The caller then raises the owner's interrupt flag.
     */
    public void post(IpiSlot slot, int vector, int sourceCpu, long sentAt) {
        post(slot, vector, sourceCpu, sentAt, deliveryCycles);
    }

    /**
     * Fills a claimed slot and posts it with an explicit delivery latency (device interrupts
     * from the IO-APIC travel as shorter bus messages than IPIs). Sender only.
     */
    public void post(IpiSlot slot, int vector, int sourceCpu, long sentAt, int latencyCycles) {
        if (slot.apic != this || slot.stateOpaque() != CLAIMED) {
            throw new IllegalStateException("post of a slot not claimed on APIC " + cpu);
        }
        slot.vector = vector;
        slot.source = sourceCpu;
        slot.sentAt = sentAt;
        slot.arrival = sentAt + latencyCycles;
        slot.setStateRelease(PENDING);
        // offer() is a release store of the element: the payload above is visible to the poller.
        if (!inbox.offer(slot)) {
            throw new IllegalStateException("APIC " + cpu + " inbox refused a slot: more than "
                    + LINT_SLOTS + " IPIs in flight (invariant broken)");
        }
    }

    private volatile int taskPriority = -1;

    /**
     * Publishes the owner's task priority (the priority of what it runs; -1 when idle), which
     * the IO-APIC's lowest-priority routing compares. Owner.
     */
    public void setTaskPriorityOpaque(int priority) {
        TASK_PRIORITY.setOpaque(this, priority);
    }

    /** The published task priority. Any thread. */
    public int taskPriorityOpaque() {
        return (int) TASK_PRIORITY.getOpaque(this);
    }

    private static final VarHandle TASK_PRIORITY;

    static {
        try {
            TASK_PRIORITY = MethodHandles.lookup().findVarHandle(LocalApic.class, "taskPriority", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The next posted IPI, in posting order, without taking it; {@code null} if none. Owner only.
     */
    public IpiSlot peek() {
        return inbox.peek();
    }

    /** Takes the next posted IPI and marks it in service; {@code null} if none. Owner only. */
    public IpiSlot poll() {
        IpiSlot slot = inbox.poll();
        if (slot != null) {
            slot.setStateRelease(IN_SERVICE);
        }
        return slot;
    }

    /**
     * The earliest arrival time among posted, untaken IPIs, or {@code Long.MAX_VALUE}. For the
     * deterministic stepper (same host thread as every CPU) and for reports.
     */
    public long earliestPendingArrivalAcquire() {
        long min = Long.MAX_VALUE;
        for (IpiSlot slot : slots) {
            if (slot.stateAcquire() == PENDING) {
                min = Math.min(min, slot.arrival);
            }
        }
        return min;
    }

    /** One LINT slot: the carrier of one IPI from acceptance to EOI. */
    public static final class IpiSlot implements Interrupt {
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(IpiSlot.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final LocalApic apic;
        private final int index;
        @SuppressWarnings("unused") // accessed through STATE
        private int state;
        // Payload: written by the sender between CLAIMED and PENDING, read by the owner after
        // the poll (published by the inbox's release/acquire).
        private int vector;
        private int source;
        private long sentAt;
        private long arrival;
        // Written by the owner before the release store of FREE; read by the next sender after
        // its claiming CAS.
        private long freedAt;

        IpiSlot(LocalApic apic, int index) {
            this.apic = apic;
            this.index = index;
        }

        int stateOpaque() {
            return (int) STATE.getOpaque(this);
        }

        int stateAcquire() {
            return (int) STATE.getAcquire(this);
        }

        void setStateRelease(int value) {
            STATE.setRelease(this, value);
        }

        boolean casState(int expect, int update) {
            return STATE.compareAndSet(this, expect, update);
        }

        /** Which LINT slot this is (0 or 1). */
        public int index() {
            return index;
        }

        @Override
        public int vector() {
            return vector;
        }

        @Override
        public int sourceCpu() {
            return source;
        }

        @Override
        public long sentAt() {
            return sentAt;
        }

        @Override
        public long arrivalTime() {
            return arrival;
        }

        /** Whether the EOI has been sent (the slot is free again). Owner CPU. */
        public boolean isFree() {
            return stateOpaque() == FREE;
        }

        @Override
        public void eoi() {
            // Release: everything the handler did (and the EOI's time) happens-before the next
            // sender's claim (CAS).
            if (stateOpaque() == IN_SERVICE) {
                freedAt = apic.ownerClock.getAsLong();
                setStateRelease(FREE);
            }
        }

        /** The owner's clock at the EOI that last freed this slot (0 before the first). Sender, after its claim. */
        public long freedAtPlain() {
            return freedAt;
        }

        @Override
        public String toString() {
            return "LINT" + index + "@cpu" + apic.cpu + "[vector " + vector + " from cpu" + source + "]";
        }
    }
}
