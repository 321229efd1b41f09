package l4smp.emulator.cpu;

import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;
import l4smp.emulator.Machine;
import l4smp.emulator.ScheduleStrategy;
import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.apic.LocalApic;
import l4smp.emulator.apic.LocalApic.IpiSlot;
import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cache.SingleWriterAccessPlan;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.emulator.trace.EventKind;
import l4smp.emulator.trace.EventLog;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated processor: a duty cycle that takes interrupts and runs its {@link Dispatcher}, a
 * simulated cycle clock, an interrupt flag, a local APIC, and the waiting primitives that kernel
 * code uses instead of blocking its host thread.
 *
 * <h2>Duty cycle</h2>
 * <pre>
 *   while (machine runs) {
 *       work  = takeInterrupts();          // IPIs whose simulated arrival has come
 *       work += dispatcher.doWork(cpu);    // run a thread until it traps, handle the trap
 *       if (work == 0) idle();             // until an interrupt or the next timer event
 *   }
 * </pre>
 * In parallel mode the cycle runs on the CPU's own host thread and {@link #idle} backs off
 * (spin, yield, park). In deterministic mode it runs as a continuation of scope {@link #CPU_SCOPE}
 * and every interleaving point ({@link #interleave()}, each spin-wait iteration, idling) yields
 * to the machine's stepper, which picks the CPU to continue.
 *
 * <h2>Simulated time</h2>
 * The owner advances its clock for everything it executes ({@link #advance}). An IPI carries its
 * sender's clock; the target takes it when its own clock has reached the arrival time
 * ({@code sent + delivery}), or at once, with its clock set to the arrival, when it was idle:
 * the target's clock becomes {@code max(own, sent + delivery)}. In parallel mode a CPU that runs
 * more than {@code slack} cycles ahead of the slowest running CPU waits (host time) until it
 * is within the bound again; idle CPUs count with their next timer event, or not at all. With
 * exact timing an interleaving point also waits until no other CPU can still act before this
 * CPU's clock (see "Conservative order" at {@link #interleave}), so that interactions happen in
 * simulated-time order, as under the deterministic stepper. The clock and run state the other
 * CPUs read are published through {@link ConcurrentRunState} (this class's first field group),
 * the bound of the others' clocks kept in an {@link OrderHorizon}.
 *
 * <h2>Thread contract</h2>
 * Methods are owner-CPU-only unless their name carries a memory-ordering suffix
 * ({@code ...Acquire}, {@code ...Opaque}, {@code ...Volatile}) or their Javadoc says "any thread".
 */
public final class Cpu extends CpuPad2 {

    /** The continuation scope of CPU dispatcher loops (deterministic mode). */
    public static final ContinuationScope CPU_SCOPE = new ContinuationScope("CPU");

    private static final VarHandle PROGRESS;
    private static final VarHandle WAIT_REASON;
    private static final VarHandle CORRECTIONS;
    private static final VarHandle LARGEST_CORRECTION;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PROGRESS = lookup.findVarHandle(CpuOwnerPublished.class, "progress", long.class);
            WAIT_REASON = lookup.findVarHandle(Cpu.class, "waitReason", String.class);
            CORRECTIONS = lookup.findVarHandle(Cpu.class, "timingCorrections", long.class);
            LARGEST_CORRECTION = lookup.findVarHandle(Cpu.class, "largestTimingCorrection", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final ThreadLocal<Cpu[]> CURRENT = ThreadLocal.withInitial(() -> new Cpu[1]);

    // ---- immutable after construction ------------------------------------------------------
    private final int index;
    private final Machine machine;
    private final CostModel cost;
    private final LocalApic apic;
    private final MemorySystem memory;
    /** This CPU's port of {@link #memory} (null with the accounting layer off): its accesses' path. */
    private final MemorySystem.SingleWriterCpuPort memoryPort;
    private final PhysicalMemory physical;
    private final InterruptLine interruptLine = new InterruptLine();
    /** The machine's parked waiters on CPUs' clocks (parallel mode's waits). */
    private final ConcurrentClockWaiters clockWaiters;
    /** Scratch of the spin-wait check's bound (owner only; ConcurrentRunState.minSpinOrderBoundConsistentAcquire). */
    private final long[] spinBoundScratch;
    private final boolean deterministic;
    /** Parallel mode with exact timing: interleaving points wait for the CPUs behind (see "Conservative order"). */
    private final boolean conservative;
    /** Parallel mode with lax timing: interleaving points count the interactions done out of order. */
    private final boolean laxCounting;
    /**
     * Deterministic mode under the lowest-clock strategy: a spin-wait checks as parallel mode's
     * exact timing does (see spinWaitSteppedSlowPath).
     */
    private final boolean steppedExact;
    /** Whether {@link #orderPoint} yields to the stepper (lowest-clock, more than one CPU). */
    private final boolean orderPointYields;
    private final long slack;
    /** The wait reason of a slack wait (built once: a stuck report shows it). */
    private final String slackWaitReason;
    private final long maxSpinIterations;
    private final long stuckNanos;
    /** Fault injection (thesis 8.2): this CPU never answers its startup IPI and never runs. */
    private final boolean failed;

    // ---- set at start, owner only afterwards ------------------------------------------------
    private Dispatcher dispatcher;
    private IdleStrategy idleStrategy;
    /** The back-off of the waits on the other CPUs' clocks (order, slack, spin-wait); see backOffOnClocks. */
    private IdleStrategy clockWaitStrategy;
    private SingleWriterCounters counters;
    private EventLog log;
    private Thread hostThread;
    private Continuation continuation;
    private int cIpiSent;
    private int cIpiTaken;
    private int cLintWaits;
    private int cSlackWaits;
    private int cParks;
    private int cSpinIterations;
    private int cIdleCycles;
    private int cUserCycles;
    private int cOrderWaits;
    private int cTimingCorrections;

    // ---- owner only --------------------------------------------------------------------------
    private long slackHorizon = Long.MAX_VALUE;
    /**
     * A lower bound of the simulated time at which any other CPU can still act on shared state
     * (parallel mode; see "Conservative order"); interleaving points it covers need no look at
     * the others.
     */
    private final OrderHorizon orderHorizon = new OrderHorizon();
    /** What this CPU's order passes last read of each other CPU (parallel mode; owner only). */
    private final OrderPassCache orderPassCache;
    /** The wait reason of an order wait (built once). */
    private final String orderWaitReason;
    @SuppressWarnings("unused") // accessed through CORRECTIONS (owner writes, any thread reads)
    private long timingCorrections;
    @SuppressWarnings("unused") // accessed through LARGEST_CORRECTION
    private long largestTimingCorrection;
    private long deferredUntil;
    /** Cycles the clock jumped to an interrupt's arrival while idle (owner only). */
    private long idleJump;
    private int interruptDepth;
    @SuppressWarnings("unused") // accessed through WAIT_REASON; read by the watchdog
    private String waitReason;
    private long waitStartNanos;

    /** Creates CPU {@code index} of {@code machine}. Setup only (the machine does this). */
    public Cpu(int index, Machine machine) {
        this.index = index;
        this.machine = machine;
        this.cost = machine.config().costModel();
        this.apic = new LocalApic(index, cost.ipiDeliveryCycles(), this::clock);
        this.orderPassCache = new OrderPassCache(machine.cpuCount());
        this.memory = machine.memorySystem();
        this.memoryPort = memory == null ? null : memory.port(index);
        this.physical = machine.physicalMemory();
        this.deterministic = machine.config().deterministic();
        this.clockWaiters = machine.clockWaiters();
        this.spinBoundScratch = new long[ConcurrentRunState.SPIN_SCRATCH_PER_CPU * machine.config().cpus()];
        this.conservative = !deterministic && machine.config().exactTiming();
        this.laxCounting = !deterministic && !conservative;
        this.steppedExact = deterministic && machine.config().strategy() == ScheduleStrategy.LOWEST_CLOCK;
        // One CPU has nobody to order against: its order points need no stepper yield.
        this.orderPointYields = steppedExact && machine.config().cpus() > 1;
        this.orderWaitReason = "order: a CPU behind in simulated time";
        this.slack = machine.config().slackCycles();
        this.slackWaitReason = "slack: more than " + slack + " cycles ahead";
        this.maxSpinIterations = machine.config().maxSpinIterations();
        this.stuckNanos = machine.config().stuckTimeout().toNanos();
        this.failed = machine.config().failed(index);
        if (failed) {
            // A dead CPU: stopped from the start (no clock to wait for, never quiescence's
            // concern), and its local APIC never wins a lowest-priority arbitration.
            setStateVolatile(STOPPED);
            apic.setTaskPriorityOpaque(Integer.MAX_VALUE);
        }
    }

    // =========================================================================================
    // Setup
    // =========================================================================================

    /** Installs the dispatcher. Setup only, before the machine starts. */
    public void install(Dispatcher dispatcher) {
        if (this.dispatcher != null) {
            throw new IllegalStateException("CPU " + index + " already has a dispatcher");
        }
        this.dispatcher = dispatcher;
    }

    /** Called by the machine at start, on the starting thread, before the CPU runs. */
    public void prepare(SingleWriterCounters counters, EventLog log, IdleStrategy idleStrategy) {
        if (dispatcher == null) {
            throw new IllegalStateException("CPU " + index + " has no dispatcher installed");
        }
        this.counters = counters;
        this.log = log;
        this.idleStrategy = idleStrategy;
        this.clockWaitStrategy = BackoffIdleStrategy.forClockWaits();
        var names = counters.names();
        cIpiSent = names.indexOf(Machine.C_IPI_SENT);
        cIpiTaken = names.indexOf(Machine.C_IPI_TAKEN);
        cLintWaits = names.indexOf(Machine.C_LINT_WAITS);
        cSlackWaits = names.indexOf(Machine.C_SLACK_WAITS);
        cParks = names.indexOf(Machine.C_IDLE_PARKS);
        cSpinIterations = names.indexOf(Machine.C_SPIN_ITERATIONS);
        cIdleCycles = names.indexOf(Machine.C_IDLE_CYCLES);
        cUserCycles = names.indexOf(Machine.C_USER_CYCLES);
        cOrderWaits = names.indexOf(Machine.C_ORDER_WAITS);
        cTimingCorrections = names.indexOf(Machine.C_TIMING_CORRECTIONS);
        if (deterministic) {
            slackHorizon = Long.MAX_VALUE; // the stepper enforces the slack at each pick
            continuation = new Continuation(CPU_SCOPE, this::dutyCycle);
        } else {
            slackHorizon = slack == Long.MAX_VALUE ? Long.MAX_VALUE : slack;
        }
    }

    /** The body of the CPU's host thread (parallel mode). */
    public void runOnHostThread() {
        hostThread = Thread.currentThread();
        if (hostThread instanceof CpuHostThread h) {
            h.cpu = this;
        }
        interruptLine.setOwner(hostThread);
        clockWaiters.bindThreadVolatile(index, hostThread);
        CURRENT.get()[0] = this;
        dutyCycle();
    }

    /** The host thread of this CPU (parallel mode), or {@code null}. */
    public Thread hostThread() {
        return hostThread;
    }

    /** The CPU's dispatcher-loop continuation (deterministic mode). Stepper only. */
    public Continuation continuation() {
        return continuation;
    }

    /** Makes {@code cpu} the current CPU of the calling host thread (the deterministic stepper). */
    public static void setCurrent(Cpu cpu) {
        CURRENT.get()[0] = cpu;
    }

    /*
     * Finding the current CPU from code that runs in a continuation that may move between host
     * threads (an L4 user thread migrated to another CPU resumes on that CPU's host thread).
     * C2 treats Thread.currentThread() as immutable within a compiled frame: true for virtual
     * threads, whose identity survives a yield, but not for a bare continuation resumed on
     * another carrier. A lookup through the host thread, inlined into a guest thread's loop,
     * would be computed once and reused after the thread moved: the old CPU (seen as L4 calls
     * reading another CPU's current thread after some 10^5 migrating calls).
     *
     * The cure: while a CPU runs a guest continuation in parallel mode it installs the guest's
     * own identity as the current thread (runGuest, as the JDK does for a virtual thread on its
     * carrier), so the current thread is the same wherever the guest runs, and the guest's CPU
     * is a field read (GuestThread.runningCpu). That needs java.lang opened to this code
     * (--add-opens java.base/java.lang=ALL-UNNAMED, which the scripts, the build and the jar
     * manifests give). Without it the lookup is called through a method handle that is not a
     * constant: C2 cannot inline it, it runs in its own frame, which never yields, on the host
     * thread it is called from -- correct, and some nanoseconds slower per call.
     */
    private static final MethodHandle SET_CURRENT_THREAD = setCurrentThreadHandle();
    private static volatile MethodHandle currentLookup;

    static {
        try {
            currentLookup = MethodHandles.lookup().findStatic(Cpu.class, "currentOnThisHostThread",
                    java.lang.invoke.MethodType.methodType(Cpu.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static MethodHandle setCurrentThreadHandle() {
        if (Boolean.getBoolean("l4smp.noGuestIdentity")) {
            return null; // diagnostics: the method-handle lookup instead
        }
        try {
            return MethodHandles.privateLookupIn(Thread.class, MethodHandles.lookup()).findVirtual(Thread.class,
                    "setCurrentThread", java.lang.invoke.MethodType.methodType(void.class, Thread.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // java.lang not opened: the slower lookup (see above)
        }
    }

    /** Whether guest threads run under their own identity in parallel mode (java.lang is open to us). */
    public static boolean guestIdentitySupported() {
        return SET_CURRENT_THREAD != null;
    }

    /**
     * The CPU the calling code runs on, or {@code null} outside any CPU. Safe in a guest
     * continuation that migrates (see above); a value it returned must not be used after the
     * caller yielded (the caller may have moved).
     */
    public static Cpu current() {
        if (SET_CURRENT_THREAD != null) {
            Thread t = Thread.currentThread();
            if (t instanceof GuestThread g) {
                return g.runningCpu(); // a guest in parallel mode
            }
            return currentOnThisHostThread(); // kernel code, or a guest in deterministic mode (one host thread)
        }
        try {
            return (Cpu) currentLookup.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("the current-CPU lookup failed", e);
        }
    }

    /**
     * Runs (resumes) the guest continuation {@code guest} on this CPU until it yields or ends: in
     * parallel mode with {@code identity} as the current thread meanwhile (see above). Where no
     * identity is installed (deterministic mode, or {@link #guestIdentitySupported()} false)
     * {@code identity} is not used and may be {@code null}. Owner only, from the dispatcher.
     */
    public void runGuest(Continuation guest, GuestThread identity) {
        // User time: this CPU's simulated cycles from the guest's start to its next trap (owner
        // CPU only: only this CPU advances its clock, so the difference is the guest's own).
        long start = clock;
        try {
            if (deterministic || SET_CURRENT_THREAD == null) {
                // Deterministic mode: one host thread runs every CPU, so a guest never changes host
                // thread; and a CPU's own yields from inside a guest must leave the stepper itself.
                guest.run();
                return;
            }
            Thread host = Thread.currentThread(); // the dispatcher's frame never moves
            setCurrentThread(host, identity);
            try {
                guest.run();
            } finally {
                setCurrentThread(host, host);
            }
        } finally {
            counters.add(cUserCycles, clock - start);
        }
    }

    private static void setCurrentThread(Thread host, Thread identity) {
        try {
            SET_CURRENT_THREAD.invokeExact(host, identity);
        } catch (Throwable e) {
            throw new IllegalStateException("could not switch the current thread", e);
        }
    }

    private static Cpu currentOnThisHostThread() {
        // The common case, a CPU's own host thread, without a thread-local lookup.
        if (Thread.currentThread() instanceof CpuHostThread h && h.cpu != null) {
            return h.cpu;
        }
        return CURRENT.get()[0];
    }

    // =========================================================================================
    // The duty cycle
    // =========================================================================================

    private void dutyCycle() {
        setStateVolatile(RUNNING);
        try {
            dispatcher.onStart(this);
            while (machine.runningOpaque()) {
                int work = takeInterrupts(false);
                work += dispatcher.doWork(this);
                PROGRESS.setOpaque(this, (long) PROGRESS.getOpaque(this) + 1);
                if (work == 0) {
                    idle();
                }
            }
        } catch (MachineStoppedException stopped) {
            // the machine stopped while this CPU waited: nothing to report
        } catch (Throwable failure) {
            machine.cpuFailed(this, failure);
        } finally {
            setStateVolatile(STOPPED);
            if (!deterministic) {
                clockWaiters.wakeReachedVolatile(index, Long.MAX_VALUE); // a stopped CPU holds no one back
            }
            try {
                dispatcher.onStop(this);
            } catch (RuntimeException e) {
                machine.cpuFailed(this, e);
            }
        }
    }

    /**
     * Ends a CPU whose duty-cycle continuation the deterministic stepper will not resume because
     * the machine stopped: publishes {@link #STOPPED} and calls the dispatcher's
     * {@link Dispatcher#onStop onStop}, as the end of the duty cycle does. Stepper only, after
     * the machine stopped; a no-op for a CPU that has ended already.
     */
    public void stopSuspended() {
        if (continuation == null || continuation.isDone() || stateAcquire() == STOPPED) {
            return;
        }
        setStateVolatile(STOPPED);
        try {
            dispatcher.onStop(this);
        } catch (RuntimeException e) {
            machine.cpuFailed(this, e);
        }
    }

    /**
     * Idles until an interrupt is pending or the next timer event is due, then takes the
     * interrupts (with the clock set to their arrival) or advances the clock to the event.
     */
    private void idle() {
        long next = dispatcher.nextEvent(this);
        long idleFrom = clock;
        log.record(index, EventKind.IDLE, clock, next == Dispatcher.NO_EVENT ? -1 : next, 0);
        // The event, then IDLE (volatile: the store of IDLE must not be reordered with the load
        // of the interrupt flag below; the other half of the handshake is in raiseInterrupt).
        setIdleVolatile(next);
        if (deterministic) {
            Continuation.yield(CPU_SCOPE);
            // The stepper resumes an idle CPU only when an interrupt is pending or its timer
            // event is the earliest thing left to simulate.
        } else {
            // Idle, this CPU counts with its next event (or a pending arrival): a CPU parked
            // until our clock passed its own may go on.
            clockWaiters.wakeReachedVolatile(index, effectiveClockAcquire());
            idleParallel(next);
        }
        // Woken by an IPI that arrives after the timer event: the timer comes first in
        // simulated time (the IPI stays pending until the clock reaches its arrival).
        boolean raised = interruptLine.raisedVolatile();
        boolean timerFirst = next != Dispatcher.NO_EVENT
                && (!raised || next < Math.max(clock, apic.earliestPendingArrivalAcquire()));
        if (timerFirst && (deterministic || raised)) {
            jumpTo(next);
        }
        long waited = clock - idleFrom; // up to the timer event, if one woke us
        idleJump = 0;
        // Running again before the handlers run: a handler with interleaving points (one that
        // touches shared memory) must stay schedulable in deterministic mode, and count with
        // its clock in the slack bound.
        // RUNNING before the event is withdrawn: between the two stores another CPU must never
        // read "idle, no event" (no bound at all) for a CPU that is about to act.
        setRunningVolatile();
        takeInterrupts(!timerFirst);
        // Idle time ends where the interrupt arrived; its handler's cycles are not idle.
        counters.add(cIdleCycles, waited + idleJump);
        log.record(index, EventKind.WAKE, clock, 0, 0);
    }

    /** An idle CPU looks at the others' clocks once in this many rounds (a power of two). */
    private static final int IDLE_CLOCK_POLL_ROUNDS = 64;

    private void idleParallel(long next) {
        idleStrategy.reset();
        long bound = next == Dispatcher.NO_EVENT ? Long.MAX_VALUE : 100_000L;
        int round = 0;
        while (machine.runningOpaque()) {
            if (interruptLine.raisedVolatile()) {
                return;
            }
            // The other CPUs' clocks are read one round in IDLE_CLOCK_POLL_ROUNDS: each read pulls
            // the running CPUs' clock lines into this core, and each of their clock stores must
            // then take the line back (host coherence traffic on every simulated cycle charged).
            // Our own interrupt flag (above) is polled every round: an IPI wakes us at once.
            if (next != Dispatcher.NO_EVENT && (round++ & (IDLE_CLOCK_POLL_ROUNDS - 1)) == 0
                    && machine.orderBoundExcluding(this, next) >= next) {
                // A sender raises our flag before it goes idle: having seen it idle (above), we
                // see its IPI here; leave it to idle() to order the IPI against the timer.
                if (interruptLine.raisedVolatile()) {
                    return;
                }
                jumpTo(next); // nothing running is earlier than our timer: it is due
                return;
            }
            if (idleStrategy.mayPark()) {
                setStateVolatile(PARKED);
                counters.increment(cParks);
                // The park handshake with the senders of IPIs lives in InterruptLine.
                boolean raised = interruptLine.parkUnlessRaised(idleStrategy.parkNanos(bound));
                setStateVolatile(IDLE);
                if (raised) {
                    return;
                }
                // Unparked (or the park timed out): look at the clocks at once. A CPU that waits
                // for our timer event unparks us for that; polling only once in
                // IDLE_CLOCK_POLL_ROUNDS parks would hold it for that many park periods.
                round = 0;
            } else {
                idleStrategy.idle(bound);
            }
        }
    }

    private void jumpTo(long time) {
        if (time > clock) {
            log.record(index, EventKind.TIMER, time, clock, 0);
            setClockRelease(time);
        }
    }

    // =========================================================================================
    // Interrupts
    // =========================================================================================

    /**
     * Takes the IPIs whose simulated arrival has come: for each, the dispatcher's handler runs
     * and the EOI is sent. With {@code idle}, the CPU had nothing to do, so it takes the next
     * IPI at once and its clock jumps to the arrival. Returns the number taken. Owner only.
     *
     * <p>Fast path: one opaque load of the interrupt flag.
     */
    public int takeInterrupts(boolean idle) {
        if (!interruptLine.raisedOpaque()) {
            return 0;
        }
        if (!idle && clock < deferredUntil) {
            return 0; // the head IPI has not arrived yet in simulated time
        }
        return takeInterruptsSlowPath(idle);
    }

    /**
     * The duty cycle's step between two works, for a dispatcher that goes on from one work to
     * the next without returning (a direct switch to the partner of an IPC): when the machine
     * runs and no interrupt is raised -- the step would take nothing and call the dispatcher
     * again -- counts the finished work as the duty cycle does (its progress, for the watchdog)
     * and returns true; otherwise returns false, and the dispatcher returns to the duty cycle,
     * which takes the interrupts or stops. Reads the running flag and the interrupt flag opaque,
     * as the duty cycle's own step does. Owner only.
     */
    public boolean dutyCycleStepOpaque() {
        if (!machine.runningOpaque() || interruptLine.raisedOpaque()) {
            return false;
        }
        PROGRESS.setOpaque(this, (long) PROGRESS.getOpaque(this) + 1);
        return true;
    }

    /** Whether an interrupt is pending and due (an L4 call checks this to trap). Owner only. */
    public boolean interruptDue() {
        return interruptLine.raisedOpaque() && clock >= deferredUntil
                && apic.earliestPendingArrivalAcquire() <= clock;
    }

    private int takeInterruptsSlowPath(boolean idle) {
        // Volatile clear before draining: the clear is ordered before the inbox poll below, so
        // an IPI posted after the poll finds the flag cleared and raises it again (no lost IPI).
        interruptLine.clearVolatile();
        deferredUntil = 0;
        int taken = 0;
        IpiSlot slot;
        while ((slot = apic.peek()) != null) {
            long arrival = slot.arrivalTime();
            if (arrival > clock) {
                if (!idle || taken > 0) {
                    // Not arrived yet: keep it pending until the clock gets there.
                    deferredUntil = arrival;
                    interruptLine.reraiseVolatile();
                    break;
                }
                idleJump += arrival - clock;
                setClockRelease(arrival);
            }
            apic.poll();
            taken++;
            counters.increment(cIpiTaken);
            log.record(index, EventKind.IPI_TAKE, clock, slot.sourceCpu(), slot.vector());
            interruptDepth++;
            try {
                dispatcher.onInterrupt(this, slot);
            } finally {
                interruptDepth--;
            }
            if (!slot.isFree()) {
                // The EOI frees a LINT slot that senders claim: an interaction, in simulated-time
                // order with their claims (parallel mode; the stepper needs no yield here).
                orderPoint();
                log.record(index, EventKind.IPI_EOI, clock, slot.sourceCpu(), slot.vector());
                slot.eoi();
            }
        }
        return taken;
    }

    /** How deeply interrupt handlers are nested on this CPU now (0 outside handlers). Owner only. */
    public int interruptDepth() {
        return interruptDepth;
    }

    /**
     * Sends an IPI with {@code vector} to every CPU in {@code destinationMask} (bit i = CPU i).
     * Charges the ICR write; each target gets its own LINT slot. When a target's two slots are
     * both occupied, this CPU waits for an EOI, taking its own interrupts meanwhile (so two
     * CPUs that flood each other never deadlock). Owner only.
     */
    public void sendIpi(long destinationMask, int vector) {
        if (vector < 0 || vector > 255) {
            throw new IllegalArgumentException("IPI vector must be 0..255, got " + vector);
        }
        long valid = machine.cpuCount() == 64 ? -1L : (1L << machine.cpuCount()) - 1;
        if ((destinationMask & ~valid) != 0) {
            throw new IllegalArgumentException("IPI destination mask 0x" + Long.toHexString(destinationMask)
                    + " names CPUs beyond " + (machine.cpuCount() - 1));
        }
        // 3.3.1: the interrupt arrives about 1030 cycles after the ICR write (which itself takes
        // about 40); the IPI is stamped when the write completes.
        advance(cost.ipiIcrWriteCycles());
        long sentAt = clock;
        long mask = destinationMask;
        while (mask != 0) {
            int target = Long.numberOfTrailingZeros(mask);
            mask &= mask - 1;
            deliver(machine.cpu(target), vector, sentAt);
        }
    }

    private void deliver(Cpu target, int vector, long sentAt) {
        if (target.failed) {
            lostToFailedCpu(target, vector);
            return;
        }
        LocalApic targetApic = target.apic;
        // Which slot is free depends on the target's EOIs: claim in simulated-time order with
        // them (parallel mode; see takeInterruptsSlowPath).
        orderPoint();
        IpiSlot slot = targetApic.tryClaimSlot();
        if (slot == null) {
            slot = waitForLintSlotSlowPath(target);
        }
        // The slot was freed by the target's EOI at the target's clock: the ICR write cannot
        // complete before (3.3.1: "the source processor blocks resending the IPI until one slot
        // gets free").
        long freedAt = slot.freedAtPlain();
        if (freedAt > sentAt) {
            sentAt = freedAt;
            if (freedAt > clock) {
                advance(freedAt - clock);
            }
        }
        targetApic.post(slot, vector, index, sentAt);
        // The target acts on it from its arrival on, possibly below what we knew of it (one
        // cycle earlier for a target before us: it goes first at a tie, see Machine.orderBoundExcluding).
        orderHorizon.lowerTo(sentAt + cost.ipiDeliveryCycles() - (target.index < index ? 1 : 0));
        orderPassCache.lowerTo(target.index, sentAt + cost.ipiDeliveryCycles());
        counters.increment(cIpiSent);
        log.record(index, EventKind.IPI_SEND, clock, target.index, vector);
        target.raiseInterrupt();
        countPostRelease(); // after the raise, before our next clock or state store
        interleave();
    }

    /**
     * Posts a device interrupt (from the IO-APIC) with {@code vector} to {@code target},
     * stamped with this CPU's clock (the device timeline runs here) and arriving
     * {@code latencyCycles} later. Charges nothing to this CPU: the device raised it. Owner only.
     */
    public void postDeviceInterrupt(Cpu target, int vector, int latencyCycles) {
        if (target.failed) {
            log.record(index, EventKind.IPI_SEND, clock, target.index, vector);
            return; // a dead CPU's APIC takes nothing
        }
        orderPoint(); // as in deliver: the claim is ordered with the target's EOIs
        IpiSlot slot = target.apic.tryClaimSlot();
        if (slot == null) {
            slot = waitForLintSlotSlowPath(target);
        }
        target.apic.post(slot, vector, -1, clock, latencyCycles);
        orderHorizon.lowerTo(clock + latencyCycles - (target.index < index ? 1 : 0));
        orderPassCache.lowerTo(target.index, clock + latencyCycles);
        log.record(index, EventKind.IPI_SEND, clock, target.index, vector);
        target.raiseInterrupt();
        countPostRelease(); // after the raise, before our next clock or state store
        interleave();
    }

    /**
     * An IPI to a CPU that never came up (fault injection, thesis 8.2): the ICR write was
     * charged and the IPI counts as sent, but nothing arrives and no LINT slot is taken (a dead
     * APIC accepts nothing). The boot's timeout detects such a CPU; after the boot the kernel
     * sends nothing to it.
     */
    private void lostToFailedCpu(Cpu target, int vector) {
        counters.increment(cIpiSent);
        log.record(index, EventKind.IPI_SEND, clock, target.index, vector);
        interleave();
    }

    private IpiSlot waitForLintSlotSlowPath(Cpu target) {
        counters.increment(cLintWaits);
        log.record(index, EventKind.LINT_WAIT, clock, target.index, 0);
        LocalApic targetApic = target.apic;
        SpinCondition slotFree = targetApic::hasFreeSlotAcquire;
        while (true) {
            spinWaitUntil(slotFree, "a free LINT slot of CPU " + target.index, true);
            IpiSlot slot = targetApic.tryClaimSlot();
            if (slot != null) {
                return slot;
            }
        }
    }

    /** Raises this CPU's interrupt flag and wakes it if it parks. Any thread (the sender). */
    private void raiseInterrupt() {
        interruptLine.raise();
    }

    /** Whether the interrupt flag is raised. Any thread. */
    @Override
    public boolean interruptPendingVolatile() {
        return interruptLine.raisedVolatile();
    }

    // =========================================================================================
    // Simulated time
    // =========================================================================================

    /** The simulated clock, in cycles. Owner only. */
    public long clock() {
        return clock;
    }

    /**
     * Charges {@code cycles} to this CPU's clock. In parallel mode, waits (host time) while the
     * clock is more than the slack ahead of the slowest running CPU. Owner only.
     */
    public void advance(long cycles) {
        advanceFrom(clock, cycles);
    }

    /** {@link #advance} from the clock {@code from} the caller read (the clock's value now). Owner only. */
    private void advanceFrom(long from, long cycles) {
        long now = from + cycles;
        // Release: a CPU that reads our clock (acquire) also sees what we did before this point.
        setClockRelease(now);
        if (now > slackHorizon) {
            slackSlowPath();
        }
    }

    /*
     * The slack wait (parallel mode). A CPU more than 'slack' cycles ahead of the slowest running
     * CPU waits until the slowest is no more than 'slack - slack/2' behind: it resumes with half
     * the slack as headroom (hysteresis). Resuming as soon as the lead drops to 'slack' made the
     * leader wait again after its next charge, on every charge, in lock step with the slowest
     * CPU: each wait a host round trip through the slowest CPU's clock line. While it waits it
     * reads the others' clocks once in SLACK_POLL_ROUNDS rounds, not on every pause: every read
     * pulls the slowest CPU's clock line away from it, and the slowest CPU stores its clock on
     * every charge (its stores then miss in its cache: the leader would slow down the CPU it
     * waits for). The bound itself is unchanged: no CPU runs more than 'slack' ahead.
     */

    /** The leader polls the others' clocks once in this many rounds of its slack wait (a power of two). */
    private static final int SLACK_POLL_ROUNDS = 8;

    private void slackSlowPath() {
        clockWaiters.wakeReachedVolatile(index, clock); // our clock moved on (see orderSlowPath)
        long min = machine.minEffectiveClockExcluding(this);
        if (min == Long.MAX_VALUE || clock - min <= slack) {
            // Within the bound; re-check when we could leave it (or after 'slack' more cycles
            // when every other CPU idles without a timer: one may wake up behind us).
            slackHorizon = min == Long.MAX_VALUE ? clock + Math.max(slack, 1024) : min + slack;
            return;
        }
        counters.increment(cSlackWaits);
        String previous = (String) WAIT_REASON.getOpaque(this);
        WAIT_REASON.setOpaque(this, slackWaitReason);
        clockWaitStrategy.reset();
        long resumeLead = slack - slack / 2;
        long start = System.nanoTime();
        int round = 0;
        while (true) {
            if ((round++ & (SLACK_POLL_ROUNDS - 1)) == 0) {
                if (!machine.runningOpaque()) {
                    throw new MachineStoppedException("machine stopped");
                }
                min = machine.minEffectiveClockExcluding(this);
                if (min == Long.MAX_VALUE || clock - min <= resumeLead) {
                    break;
                }
                if ((round & (64 * SLACK_POLL_ROUNDS - 1)) == 1) {
                    // The slowest may be an idle CPU whose timer event is due: wake it now rather
                    // than after its park period, so that it fires the event and we may go on.
                    machine.wakeIdleCpusWithEventsUpTo(clock - slack);
                    if (System.nanoTime() - start > stuckNanos) {
                        throw new CpuStuckException("CPU " + index + " waited " + machine.config().stuckTimeout()
                                + " for the slowest CPU to come within the slack (" + slack + " cycles); "
                                + machine.describeCpus());
                    }
                }
            }
            backOffOnClocks(clock - resumeLead, false);
        }
        slackHorizon = min == Long.MAX_VALUE ? clock + Math.max(slack, 1024) : min + slack;
        WAIT_REASON.setOpaque(this, previous);
    }

    /**
     * What this CPU's order passes last read of the other CPUs, and how many CPUs they read
     * ({@link OrderPassCache#readsPlain}). Owner only; its counts from any thread once the
     * machine stopped.
     */
    public OrderPassCache orderPassCache() {
        return orderPassCache;
    }

    /** The arrival of the earliest IPI pending at this CPU, or {@code Long.MAX_VALUE}. Any thread. */
    @Override
    public long earliestPendingArrivalAcquire() {
        return apic.earliestPendingArrivalAcquire();
    }

    /** Duty cycles completed (for the watchdog). Any thread. */
    public long progressOpaque() {
        return (long) PROGRESS.getOpaque(this);
    }

    /** What the CPU waits for in a spin-wait now, or {@code null}. Any thread. */
    public String waitReasonOpaque() {
        return (String) WAIT_REASON.getOpaque(this);
    }

    /** Host nanoTime when the current spin-wait began (meaningful while waitReason is set). Any thread (racy snapshot). */
    public long waitStartNanosOpaque() {
        return waitStartNanos;
    }

    // =========================================================================================
    // Interleaving and waiting (both modes)
    // =========================================================================================

    /**
     * An interleaving point: in deterministic mode the stepper may switch to another CPU here;
     * in parallel mode a no-op. Call it at every access to state that another CPU may touch.
     * Owner only.
     */
    public void interleave() {
        if (deterministic) {
            Continuation.yield(CPU_SCOPE);
        } else {
            if (!orderHorizon.covers(clock)) {
                orderSlowPath();
            }
            if (conservative) {
                // Before the interaction's store: a spinning CPU's check bound reads it
                // (ConcurrentRunState.minSpinOrderBoundConsistentAcquire).
                setLastInteractionRelease(clock);
            }
        }
    }

    /** A CPU spinning in an order wait reads the others' clocks once in this many rounds (a power of two). */
    private static final int ORDER_POLL_ROUNDS = 8;

    /*
     * Conservative order (parallel mode). Shared state -- a memory line, a mailbox flag, a lock,
     * a LINT slot -- carries no minimum latency between a write on one CPU and a read on another:
     * a read at simulated time t must see exactly the writes at times before t. So an interaction
     * at time t may happen only when every other CPU has reached t (a CPU behind could still write
     * at a time before t) -- the rule the deterministic stepper applies by picking the CPU with
     * the lowest clock. A CPU counts with its effective clock: its clock while it runs; while it
     * idles the earlier of its next timer event and the arrival of an interrupt posted to it (it
     * can act on nothing before); a stopped CPU not at all.
     *
     * The bound observed is kept (OrderHorizon): no CPU can later act below it. A running CPU's
     * clock only grows; an idle CPU's effective clock can drop only when an interrupt is posted to
     * it, and that arrives at the sender's clock plus the IPI latency (or a device's bus latency)
     * -- above the bound, since the sender counted in it (a pass over the CPUs that an interrupt
     * post straddled is read again: Machine.orderBoundExcluding). So only an interleaving point above the bound
     * looks at the other CPUs again, and it reads again only the CPUs it last saw below its
     * clock: the others' entries in its OrderPassCache are still bounds (when, and how a post
     * by another CPU drops an idle CPU's entry: ConcurrentRunState.minOrderBoundCachedAcquire).
     *
     * Exact timing waits there (host time) until the CPUs behind have caught up; ties may go on
     * together (the stepper breaks them by its seed). Lax timing goes on at once and counts the
     * interaction as a timing correction with the lead it had over the slowest CPU.
     */
    private void orderSlowPath() {
        // Our clock passed our horizon: CPUs parked until it got here may go on (a CPU waiting
        // for our clock bounds our horizon, so the first interleaving point past its cycle is
        // this slow path).
        clockWaiters.wakeReachedVolatile(index, clock);
        long min = machine.orderBoundExcluding(this, clock);
        if (min >= clock) {
            orderHorizon.observed(min);
            return;
        }
        if (laxCounting) {
            recordCorrection(clock - min);
            return;
        }
        String previous = (String) WAIT_REASON.getOpaque(this);
        WAIT_REASON.setOpaque(this, orderWaitReason);
        min = waitForOrderBound(false);
        orderHorizon.observed(min);
        WAIT_REASON.setOpaque(this, previous);
    }

    /**
     * The wait of {@link #orderSlowPath} ({@code spinCheck} false: until the order bound reaches
     * the clock) or {@link #spinCheckBoundSlowPath} (true: the bound of a spin-wait check, which
     * counts other spinning CPUs with the earliest time they can act); returns the bound seen, at
     * least the clock. Counts as an order wait. Owner only.
     */
    private long waitForOrderBound(boolean spinCheck) {
        counters.increment(cOrderWaits);
        clockWaitStrategy.reset();
        long start = System.nanoTime();
        int round = 0;
        // The CPU behind may be idle with a timer event before our clock: wake it now rather
        // than after its park period, so that it fires the event.
        machine.wakeIdleCpusWithEventsUpTo(clock);
        while (true) {
            round++;
            if (!machine.runningOpaque()) {
                throw new MachineStoppedException("machine stopped");
            }
            // While spinning, the others' clocks are read one round in ORDER_POLL_ROUNDS: each
            // read pulls the clock line of the CPU we wait for into this core, and its next clock
            // store must take it back (a host cache miss on the CPU we wait for, on each of its
            // charges). Once parking, every round (a park ends with a reason to look).
            if ((round & (ORDER_POLL_ROUNDS - 1)) == 0 || clockWaitStrategy.mayPark()) {
                long min = spinCheck ? machine.spinOrderBoundExcluding(this) : machine.orderBoundExcluding(this, clock);
                if (min >= clock) {
                    return min;
                }
            }
            if ((round & 1023) == 0) {
                machine.wakeIdleCpusWithEventsUpTo(clock);
                if (System.nanoTime() - start > stuckNanos) {
                    throw new CpuStuckException("CPU " + index + " waited " + machine.config().stuckTimeout()
                            + " for the CPUs behind it to reach cycle " + clock
                            + (spinCheck ? " (a spin-wait check); " : "; ") + machine.describeCpus());
                }
            }
            // A spin-wait check: any CPU may raise the bound, a running one by moving on, a
            // spinning one by publishing its failed check.
            backOffOnClocks(clock, spinCheck);
        }
    }

    /*
     * Waiting on the other CPUs' clocks (parallel mode: the order wait, the slack wait, a
     * spin-wait). The idle strategy spins, then yields; in its park phase the CPU parks for at
     * most its period, registered with the CPUs that can end the wait (ConcurrentClockWaiters),
     * each of which unparks it when its effective clock reaches 'until' and it passes one of
     * its wake points (an interleaving point above its horizon, a spin-wait iteration, a slack
     * wait, going idle, stopping). The park is bounded all the same: a wake-up saves host time,
     * the order of simulated events never depends on it.
     *
     * Registered are the CPUs still below 'until', or with 'anyCpu' every other CPU (a
     * spin-wait: any of them may change what it polls, and one that runs ahead reaches an
     * interleaving point above its horizon before it does). After registering, the CPU reads
     * their effective clocks again (the Dekker handshake of ConcurrentClockWaiters) and does
     * not park when one of them went from below 'until' to at or above it meanwhile: its wake
     * point may have come before the registration.
     */

    /** The longest park of a wait on the others' clocks, in host nanoseconds (a registered waiter is unparked earlier). */
    private static final long CLOCK_WAIT_PARK_NANOS = 1_000_000L;

    /** One round of back-off of a wait until the others' effective clocks reach {@code until}. Owner only. */
    private void backOffOnClocks(long until, boolean anyCpu) {
        if (!clockWaitStrategy.mayPark()) {
            clockWaitStrategy.idle(CLOCK_WAIT_PARK_NANOS);
            return;
        }
        parkOnClocksSlowPath(until, anyCpu);
    }

    private void parkOnClocksSlowPath(long until, boolean anyCpu) {
        int n = machine.cpuCount();
        long registered = 0;
        long below = 0;
        for (int i = 0; i < n; i++) {
            if (i == index) {
                continue;
            }
            // A CPU before us must pass 'until', one after us reach it (ties go in index order,
            // see Machine.orderBoundExcluding); a spin-wait waits for any move.
            long reach = !anyCpu && i < index ? until + 1 : until;
            boolean behind = machine.cpu(i).effectiveClockAcquire() < reach;
            if (behind || anyCpu) {
                clockWaiters.registerVolatile(index, i, until);
                registered |= 1L << i;
                if (behind) {
                    below |= 1L << i;
                }
            }
        }
        try {
            // Volatile reads after the registrations' read-modify-writes (partner: the fence in
            // ConcurrentClockWaiters.wakeReachedVolatile).
            long passed = below;
            while (passed != 0) {
                int i = Long.numberOfTrailingZeros(passed);
                passed &= passed - 1;
                if (machine.cpu(i).effectiveClockAcquire() >= (!anyCpu && i < index ? until + 1 : until)) {
                    return; // it got there meanwhile: look again instead of parking
                }
            }
            if (machine.runningOpaque()) {
                counters.increment(cParks);
                LockSupport.parkNanos(this, clockWaitStrategy.parkNanos(CLOCK_WAIT_PARK_NANOS));
            }
        } finally {
            long r = registered;
            while (r != 0) {
                int i = Long.numberOfTrailingZeros(r);
                r &= r - 1;
                clockWaiters.deregisterVolatile(index, i);
            }
        }
    }

    /** Counts an interaction done {@code lead} cycles ahead of a CPU that could still act before it. Owner only. */
    private void recordCorrection(long lead) {
        counters.increment(cTimingCorrections);
        CORRECTIONS.setOpaque(this, (long) CORRECTIONS.getOpaque(this) + 1);
        if (lead > (long) LARGEST_CORRECTION.getOpaque(this)) {
            LARGEST_CORRECTION.setOpaque(this, lead);
        }
    }

    /** Interactions this CPU performed out of simulated-time order (lax timing). Any thread. */
    public long timingCorrectionsOpaque() {
        return (long) CORRECTIONS.getOpaque(this);
    }

    /** The largest lead of such an interaction, in cycles (0 if none). Any thread. */
    public long largestTimingCorrectionOpaque() {
        return (long) LARGEST_CORRECTION.getOpaque(this);
    }

    /**
     * An order point without a stepper yield: in parallel mode with exact timing, waits (as an
     * interleaving point does) until no other CPU can still act before this CPU's clock; a no-op
     * otherwise. For host code that reads state other CPUs change before it reaches an
     * interleaving point of its own (a user access's address translation reads page tables a
     * pager may be changing). Under the deterministic stepper's lowest-clock strategy it is a
     * stepper yield, as an interleaving point is: the stepper runs this CPU on only when no
     * other CPU is behind it, so that a CPU that spin-waits on what it writes here sees the
     * write at the same check as in parallel mode (see spinWaitSteppedSlowPath). The
     * race-hunting strategies need none: between two yields no other CPU runs, and their
     * spin-waits catch up with the others' clocks. Owner only.
     */
    public void orderPoint() {
        if (conservative) {
            if (!orderHorizon.covers(clock)) {
                orderSlowPath();
            }
            setLastInteractionRelease(clock); // as in interleave
        } else if (orderPointYields) {
            Continuation.yield(CPU_SCOPE);
        }
    }

    /**
     * A handler's early EOI of {@code interrupt} (before its work: the XCPU IPI handler's, 8.3.4,
     * a forwarded device interrupt's). The EOI frees a LINT slot that senders claim, so it is an
     * order point, as this CPU's own EOI after a handler is. Owner only.
     */
    public void eoiEarly(Interrupt interrupt) {
        orderPoint();
        interrupt.eoi();
    }

    /**
     * Publishes this CPU's task priority (-1: idle) for lowest-priority routing. Another CPU's
     * raise reads it at its own order point (IoApic.raise), so the publish is one too. Owner only.
     */
    public void publishTaskPriority(int priority) {
        orderPoint();
        apic.setTaskPriorityOpaque(priority);
    }

    /** Whether this CPU runs under the deterministic stepper. */
    public boolean deterministic() {
        return deterministic;
    }

    /**
     * Waits until {@code condition} holds, without blocking the host thread for long: each
     * failed check moves the clock on by a spin iteration, so that the wait ends at the first
     * check at or after the write that satisfies it, in parallel mode with exact timing and
     * under the deterministic stepper's lowest-clock strategy alike (the stepper passes at once
     * the checks before any other CPU can act); lax timing and the race-hunting strategies
     * catch the clock up with the others' instead. Between checks the CPU yields to the
     * stepper (deterministic mode) or backs off (parallel mode: spin, yield, park for at most
     * 50 us). With {@code interruptible}, the CPU takes its interrupts between
     * iterations ("interrupts enabled"). A wait longer than the machine's stuck bound throws
     * {@link CpuStuckException} naming {@code reason} and every CPU's state. Owner only.
     */
    public void spinWaitUntil(SpinCondition condition, String reason, boolean interruptible) {
        if (condition.isSatisfied()) {
            return;
        }
        spinWaitSlowPath(condition, reason, interruptible);
    }

    /** {@link #spinWaitUntil(SpinCondition, String, boolean)} with interrupts disabled. */
    public void spinWaitUntil(SpinCondition condition, String reason) {
        spinWaitUntil(condition, reason, false);
    }

    private void spinWaitSlowPath(SpinCondition condition, String reason, boolean interruptible) {
        if (conservative) {
            spinWaitExactSlowPath(condition, reason, interruptible);
            return;
        }
        if (steppedExact) {
            spinWaitSteppedSlowPath(condition, reason, interruptible);
            return;
        }
        // The race-hunting strategies (random, pct) and lax timing: see spinWaitSteppedSlowPath
        // for why they keep catching the clock up with the others'.
        String previous = (String) WAIT_REASON.getOpaque(this);
        waitStartNanos = System.nanoTime();
        WAIT_REASON.setOpaque(this, reason);
        long iterations = 0;
        if (!deterministic) {
            clockWaitStrategy.reset();
        }
        try {
            while (true) {
                // The stepper and lax timing catch the clock up with the others: what the others
                // can still do lies at or after their effective clocks, read before the check
                // (read after it, they would include writes the check did not see).
                long seen = deterministic ? 0 : machine.minEffectiveClockExcluding(this);
                if (condition.isSatisfied()) {
                    break;
                }
                iterations++;
                long min = deterministic ? machine.minEffectiveClockExcluding(this) : seen;
                long step = cost.spinIterationCycles();
                if (min != Long.MAX_VALUE && min > clock + step) {
                    step = min - clock;
                }
                advance(step);
                if (interruptible) {
                    takeInterrupts(false);
                }
                if (deterministic) {
                    if (iterations > maxSpinIterations) {
                        throw new CpuStuckException("CPU " + index + " spun " + iterations
                                + " iterations waiting for " + reason + "; " + machine.describeCpus());
                    }
                    Continuation.yield(CPU_SCOPE);
                    // Whatever the others did while we were suspended happened at their clocks:
                    // catch up before we look, so that we cannot observe it "before" it happened.
                    // Their current clocks, not their next events: a CPU that released what we
                    // wait for and then went idle did so at its clock, not at its next timer.
                    long others = machine.minClockExcluding(this);
                    if (others != Long.MAX_VALUE && others > clock) {
                        advance(others - clock);
                    }
                } else {
                    if (!machine.runningOpaque()) {
                        throw new MachineStoppedException("machine stopped");
                    }
                    throwIfSpunTooLong(iterations, reason);
                    // Our clock moved: CPUs parked until it got here may go on. Then wait for
                    // any other CPU to move past it: whatever changes the condition is done by a
                    // CPU at or after it.
                    clockWaiters.wakeReachedVolatile(index, clock);
                    backOffOnClocks(clock + 1, true);
                }
            }
        } finally {
            counters.add(cSpinIterations, iterations);
            WAIT_REASON.setOpaque(this, previous);
        }
    }

    /*
     * A spin-wait under the deterministic stepper's lowest-clock strategy: the rule of parallel
     * mode's exact timing (spinWaitExactSlowPath). Each check after a failed one follows a
     * stepper yield (the stepper runs the CPU again only when its clock is the lowest effective
     * clock of all), a
     * failed check moves the clock on by whole spin iterations, and the wait ends at the first
     * check at or after the write that satisfies it, the same cycle as in parallel mode.
     *
     * The shortcut. After a failed check at cycle c the checks at c + k * s (s one spin
     * iteration) go on until one sees a new write. No other CPU acts before the lowest of the
     * others' effective clocks m (a running CPU acts at its clock, which only grows; an idle one
     * at its next timer event or the arrival of an interrupt posted to it; an interrupt posted
     * later comes from a CPU at m or after, and arrives after that), so every check below m
     * reads what the failed one read and fails: the CPU moves at once to the first check at or
     * after m, counting every check it passes (cpu.spin_iterations counts the checks made in
     * simulated time, as in parallel mode). With interrupts enabled it stops instead at the
     * first check at or after its own earliest pending arrival, where parallel mode takes the
     * interrupt. The shortcut holds for a check that only reads (its clock did not move): one
     * that charges its own accesses (a loaded word) moves one iteration per check, as in
     * parallel mode, since each skipped check would have charged and counted an access. Then
     * it yields.
     *
     * No catch-up after the resume. Under lowest-clock the stepper resumes this CPU, at clock
     * g, only when no other CPU's effective clock is below g, and it ran in between only CPUs
     * whose effective clock was at or below g. Each of them ran from a yield at or below g and
     * made the interaction there, up to its next yield: every write the check sees happened at
     * or before g, and a write after g is still to come (its CPU waits at its own yield, at its
     * clock). That needs every write that can end a spin-wait to be made at a yield: an
     * interleaving point, or an order point (orderPoint: the EOI that frees a LINT slot, a TLB
     * shootdown's request and acknowledgement words, a mailbox check), which under lowest-clock
     * yields too. (touchOwn does not: it charges a CPU's own kernel data and changes no word
     * another CPU waits for.) Catching up with the others' current clocks would instead end
     * the wait where the writer's next yield lies, however long it computed on after its
     * write. At a tie (a write at g) the stepper's seed decides which CPU goes first, where
     * parallel mode lets the lower-numbered CPU go first: that wait may end one iteration apart
     * in the two modes.
     *
     * An idle CPU counts with its next event, not the clock it went idle at: whatever it wrote
     * before it went idle it wrote at a yield at or below g (above), and it acts
     * again only at that event. An interrupt that arrives while the CPU spins with interrupts
     * enabled is taken after the first iteration at or past its arrival; its handler runs at
     * that cycle and the next check follows at the handler's end, as in parallel mode.
     *
     * The stuck bound (maxSpinIterations) counts the rounds through the stepper, not the checks
     * made in simulated time: it catches a wait that the others never end in host work, and a
     * long wait for an idle CPU's far timer event is a few rounds of many checks.
     *
     * The race-hunting strategies (random, pct) keep the catch-up (spinWaitSlowPath: move to
     * the others' effective clocks, yield, then catch up with their current clocks): there a
     * CPU whose clock is above the spinner's may run before it (up to the slack bound, or
     * without one), so a write the check sees may lie after the check's cycle; only the
     * catch-up keeps the spinner from seeing it before it happened.
     */
    private void spinWaitSteppedSlowPath(SpinCondition condition, String reason, boolean interruptible) {
        String previous = (String) WAIT_REASON.getOpaque(this);
        WAIT_REASON.setOpaque(this, reason);
        final long step = cost.spinIterationCycles();
        long iterations = 0;
        long rounds = 0;
        try {
            while (true) {
                final long checkedAt = clock;
                if (condition.isSatisfied()) {
                    break;
                }
                long checks = 1;
                if (clock == checkedAt) {
                    long until = machine.minEffectiveClockExcluding(this);
                    if (interruptible && interruptLine.raisedOpaque()) {
                        until = Math.min(until, Math.max(deferredUntil, apic.earliestPendingArrivalAcquire()));
                    }
                    checks = checksUpTo(until, step);
                }
                iterations += checks;
                advance(checks * step);
                if (interruptible) {
                    takeInterrupts(false);
                }
                if (++rounds > maxSpinIterations) {
                    throw new CpuStuckException("CPU " + index + " spun " + rounds + " iterations through the stepper ("
                            + iterations + " checks in simulated time) waiting for " + reason + "; "
                            + machine.describeCpus());
                }
                Continuation.yield(CPU_SCOPE);
            }
        } finally {
            counters.add(cSpinIterations, iterations);
            WAIT_REASON.setOpaque(this, previous);
        }
    }

    /**
     * The spin iterations from this CPU's clock to the first check at or after {@code cycle}:
     * at least 1; 1 when {@code cycle} is unbounded ({@code Long.MAX_VALUE}). Owner only.
     */
    private long checksUpTo(long cycle, long step) {
        if (cycle == Long.MAX_VALUE || cycle <= clock + step) {
            return 1;
        }
        return (cycle - clock + step - 1) / step;
    }

    private void throwIfSpunTooLong(long iterations, String reason) {
        if ((iterations & 0xFF) == 0 && System.nanoTime() - waitStartNanos > stuckNanos) {
            throw new CpuStuckException("CPU " + index + " waited "
                    + machine.config().stuckTimeout() + " for " + reason + "; "
                    + machine.describeCpus());
        }
    }

    /*
     * A spin-wait with exact timing (parallel mode). Each check is an interleaving point: it
     * goes on only when no other CPU can still act before (clock, index), so a check at cycle t
     * sees exactly the writes before t, whatever the host did; and a failed check moves the
     * clock on by one spin iteration, never further: how far the others are in host time is no
     * simulated fact (a jump to their clocks would end the wait at a cycle that varies from run
     * to run). So the wait ends at the first iteration at or after the write that satisfies it,
     * the same cycle in every run.
     *
     * The check's bound counts another spinning CPU not with its clock but with the earliest
     * time it can act (ConcurrentRunState.minSpinOrderBoundConsistentAcquire): a check only
     * reads, and a spinning CPU writes nothing until its condition holds or an interrupt of its
     * own arrives. Two CPUs that spin on each other therefore check on their own up to the first
     * interrupt or write that can end either wait, instead of one iteration per host hand-off.
     * Writes still wait for the spinning CPU's clock, its next check (orderSlowPath), so no write
     * lands after a check it should have come before: a spinning CPU stays RUNNING, and the order
     * pass reads (and caches) it by its clock, which only grows, never by its spin publication.
     * The check's pass reads every CPU afresh (no OrderPassCache) and is kept only when no CPU's
     * own post count moved while it ran.
     *
     * Between two checks the CPU publishes the cycle of its last failed check
     * (setSpinningRelease); it withdraws it (clearSpinningVolatile) before it acts: before it
     * takes an interrupt and once the condition holds, when it also records the check as its
     * last interaction (its caller acts at that cycle, perhaps without an interleaving point of
     * its own, as the claim of a LINT slot after the wait). The bound seen is kept for the
     * checks it covers (no CPU acts below it later, see the block comment there) until this
     * CPU takes an interrupt: its handler may write what another spinning CPU waits for.
     */
    private void spinWaitExactSlowPath(SpinCondition condition, String reason, boolean interruptible) {
        String previous = (String) WAIT_REASON.getOpaque(this);
        waitStartNanos = System.nanoTime();
        WAIT_REASON.setOpaque(this, reason);
        long iterations = 0;
        long checkHorizon = Long.MIN_VALUE;
        boolean published = false;
        try {
            while (true) {
                if (clock > checkHorizon) {
                    checkHorizon = spinCheckBoundSlowPath();
                }
                if (condition.isSatisfied()) {
                    setLastInteractionRelease(clock);
                    break;
                }
                iterations++;
                long failedAt = clock;
                advance(cost.spinIterationCycles());
                boolean handled = false;
                if (interruptible && interruptLine.raisedOpaque() && clock >= deferredUntil) {
                    clearSpinningVolatile(); // before a handler acts
                    published = false;
                    handled = takeInterrupts(false) > 0;
                }
                if (handled) {
                    checkHorizon = Long.MIN_VALUE;
                    clockWaiters.wakeReachedVolatile(index, clock);
                } else {
                    setSpinningRelease(failedAt, interruptible);
                    // Our clock moved: CPUs parked until it got here may go on; our first
                    // publication may raise the bound of any CPU's check parked on us.
                    clockWaiters.wakeReachedVolatile(index, published ? clock : Long.MAX_VALUE);
                    published = true;
                }
                if (!machine.runningOpaque()) {
                    throw new MachineStoppedException("machine stopped");
                }
                throwIfSpunTooLong(iterations, reason);
            }
        } finally {
            clearSpinningVolatile();
            counters.add(cSpinIterations, iterations);
            WAIT_REASON.setOpaque(this, previous);
        }
    }

    /**
     * Waits (host time) until no other CPU can act before this CPU's spin-wait check at its
     * clock, counting other spinning CPUs with the earliest time they can act; returns the
     * bound seen (at least the clock). Counts as an order wait when it waits. Owner only.
     */
    private long spinCheckBoundSlowPath() {
        // Our clock passed what we last saw: CPUs parked until it got here may go on.
        clockWaiters.wakeReachedVolatile(index, clock);
        long min = machine.spinOrderBoundExcluding(this);
        if (min >= clock) {
            return min;
        }
        return waitForOrderBound(true);
    }

    /** Scratch of {@link Machine#spinOrderBoundExcluding}, this CPU's own (owner only). */
    public long[] spinBoundScratch() {
        return spinBoundScratch;
    }

    // =========================================================================================
    // Memory (physical addresses; the accounting layer charges each access)
    // =========================================================================================

    /**
     * Charges one access of this CPU to the line of {@code physAddr} through the accounting
     * layer (no data moves): kernel paths use it for their data structures. An interleaving
     * point. Owner only.
     */
    public void touch(long physAddr, AccessKind kind) {
        interleave();
        charge(physAddr, kind);
    }

    /**
     * Charges one access to a line of this CPU's own kernel data (the TCBs of its threads, its
     * ready list). The deterministic stepper does not switch here (seeded runs keep their order
     * of these accesses), but another CPU may read or write the same line (a cross-processor IPC
     * touches its partner's TCB), and the coherence outcome depends on which comes first. So in
     * parallel mode with exact timing it is an order point ({@link #orderPoint}): it waits for
     * the CPUs behind it as {@link #touch} does, without the stepper yield. Owner only.
     */
    public void touchOwn(long physAddr, AccessKind kind) {
        if (conservative) {
            orderPoint(); // no stepper yield: seeded runs keep their order of these accesses
        }
        charge(physAddr, kind);
    }

    /*
     * Runs of own-data charges (touchOwnPlan, touchOwnCopy). A kernel path that touches a fixed
     * sequence of its CPU's own words (the IPC fast path's TCB fields and message registers, the
     * thread switch's) charges them in one call: the same accesses, in the same order, each
     * charged by the port (its accessAt, or the replay of a memoised run of hits) at the clock
     * the single touchOwn calls would give it (the clock before it plus the cycles of those
     * before), so every cycle, counter, cache and directory state and write stamp is that of the
     * single calls. What the run leaves out is the glue between them: the caller's owner test
     * and address arithmetic for each word, and between the run's stops (below) the clock store
     * after each access and, with exact timing, each access's order point.
     *
     * Why nothing observes the difference. In deterministic mode touchOwn never yields, and
     * without exact timing in parallel mode it is no order point: between two charges of a run
     * this CPU runs nothing but the clock store and the slack check. With exact timing (the
     * conservative flag) each touchOwn is also an order point at its own clock: it looks at the
     * other CPUs only when its clock is above the order horizon (a bound below which no other CPU
     * can still act), else it only records the interaction's clock (release) for the spin-wait
     * checks of the others. So a run stops after any access whose clock passes the slack
     * horizon or, with exact timing, the order horizon, and there does what the single calls do
     * at that point: the access's record, the clock store, the slack check, the next access's
     * order point -- the slack and order waits and their counters are those of the single calls.
     * The stores left out between stops are of a clock and a last interaction that only grow, and
     * only other CPUs read them (their order, slack and spin-check bounds, acquire): they see the
     * values of before the run until its stop or end, as when this host thread is descheduled
     * before the run's first order point, and at a stop or the end the record of the last access
     * before the clock that follows it, as the single calls leave them.
     *
     * A plan (SingleWriterAccessPlan) lists the accesses, each a base (an index into the
     * caller's bases), a kind and an offset from the base; the caller builds its plans once and
     * fills the bases per run. The port replays a run that it found all L1 hits while no cache or
     * directory state has changed since (MemorySystem's "Memoised hit runs").
     */

    /** Words of a copy run: a copy of more words is charged as several runs in turn. */
    private static final int COPY_RUN_WORDS = 64;

    /**
     * The plan of a copy run ({@link #touchOwnCopy}), this CPU's own (its memo is): for each
     * word i in turn a read at 4i from base 0, then a write at 4i from base 1; a copy of n words
     * charges its first 2n entries.
     */
    private final SingleWriterAccessPlan copyPlan = copyPlan();
    /** The bases of a copy run (owner only): the source and destination of its words. */
    private final long[] copyBases = new long[2];

    private static SingleWriterAccessPlan copyPlan() {
        int[] entries = new int[2 * COPY_RUN_WORDS];
        for (int i = 0; i < COPY_RUN_WORDS; i++) {
            entries[2 * i] = SingleWriterAccessPlan.entry(0, AccessKind.READ, 4 * i);
            entries[2 * i + 1] = SingleWriterAccessPlan.entry(1, AccessKind.WRITE, 4 * i);
        }
        return new SingleWriterAccessPlan(entries);
    }

    /**
     * {@link #touchOwn} of each entry of {@code plan} in order (the word at
     * {@code bases[base] + offset}, of its kind): exactly the figures of those single calls (see
     * "Runs of own-data charges"). {@code plan} is this CPU's own: no other CPU charges it.
     * Owner only. Allocation-free.
     */
    public void touchOwnPlan(long[] bases, SingleWriterAccessPlan plan) {
        final MemorySystem.SingleWriterCpuPort port = memoryPort;
        if (port == null || plan.length() == 0) {
            return;
        }
        chargeRun(port, bases, plan, plan.length());
    }

    /**
     * The charges of a copy of {@code words} 32-bit words from {@code src} to {@code dst}: for
     * each i below {@code words} in turn, {@link #touchOwn} of a read at {@code src + 4i}, then of
     * a write at {@code dst + 4i}; exactly the figures of those single calls (see "Runs of
     * own-data charges"). Owner only. Allocation-free.
     */
    public void touchOwnCopy(long src, long dst, int words) {
        final MemorySystem.SingleWriterCpuPort port = memoryPort;
        if (port == null) {
            return;
        }
        final long[] bases = copyBases;
        for (int done = 0; done < words; done += COPY_RUN_WORDS) {
            bases[0] = src + 4L * done;
            bases[1] = dst + 4L * done;
            chargeRun(port, bases, copyPlan, 2 * Math.min(COPY_RUN_WORDS, words - done));
        }
    }

    /**
     * Entries 0 to {@code end - 1} ({@code end > 0}) of {@code plan} as runs of the port's
     * ({@link MemorySystem.SingleWriterCpuPort#accessRun}): what the single touchOwn calls do
     * between the accesses is done where the port stops, after an access past the run's horizon
     * -- the slack horizon, and with exact timing the order horizon (the next access's order
     * point would look at the other CPUs): with exact timing the order point's record of that
     * access, the clock, the slack check, and the next access's order point. At the end the
     * last access's record and the clock. Owner only.
     */
    private void chargeRun(MemorySystem.SingleWriterCpuPort port, long[] bases, SingleWriterAccessPlan plan, int end) {
        long now = clock;
        int next = 0;
        while (true) {
            long horizon = slackHorizon;
            if (conservative) {
                // touchOwn's order point before the access 'next', at its clock (stored).
                if (!orderHorizon.covers(now)) {
                    orderSlowPath();
                }
                horizon = Math.min(horizon, orderHorizon.bound());
            }
            now = port.accessRun(bases, plan, next, end, now, horizon);
            next = port.runNextPlain();
            if (conservative) {
                // The order point's record of the run's last access, before the clock store (as touchOwn's).
                setLastInteractionRelease(port.runLastAtPlain());
            }
            // Release: as advanceFrom's store (a CPU that reads our clock sees what we did before).
            setClockRelease(now);
            if (now > slackHorizon) {
                slackSlowPath();
            }
            if (next >= end) {
                return;
            }
        }
    }

    /** Charges one access through the accounting layer, if it is on. Owner only. */
    private void charge(long physAddr, AccessKind kind) {
        final MemorySystem.SingleWriterCpuPort port = memoryPort;
        if (port != null) {
            final long now = clock;
            advanceFrom(now, port.accessAt(physAddr, kind, now));
        }
    }

    /** Loads the 32-bit word at {@code physAddr}, charged as a read. Owner only. */
    public int loadInt(long physAddr) {
        // The interleaving point comes first, then the data, then the charge. At the
        // interleaving point every other CPU has passed this CPU's clock (exact timing), so
        // every store of an earlier cycle is visible (acquire: pairs with the release of the
        // writer's clock, stored after its data and its transition), and a store of a later
        // cycle waits for this CPU's clock to pass it, which only the charge moves. Read after
        // the charge, the data could already hold a store of a cycle inside the charge's
        // cycles, made by a CPU that the charge's clock store released. In between no other
        // CPU changes the line, so the charge's transition sees the same state as the read.
        interleave();
        final int value = physical.intAcquire(physAddr);
        charge(physAddr, AccessKind.READ);
        return value;
    }

    /** Stores the 32-bit word at {@code physAddr}, charged as a write. Owner only. */
    public void storeInt(long physAddr, int value) {
        interleave();
        // Data first, then the transition: the directory's CAS publishes the store (see
        // MemorySystem: a later access of another CPU acquires it).
        physical.setIntRelease(physAddr, value);
        charge(physAddr, AccessKind.WRITE);
    }

    /** {@code xchg}: a locked swap of the word at {@code physAddr}. Owner only. */
    public int xchgInt(long physAddr, int value) {
        interleave();
        int old = physical.getAndSetInt(physAddr, value);
        charge(physAddr, AccessKind.LOCKED_RMW);
        return old;
    }

    /** {@code lock cmpxchg}: a locked compare-and-swap of the word at {@code physAddr}. Owner only. */
    public boolean casInt(long physAddr, int expect, int update) {
        interleave();
        boolean ok = physical.casInt(physAddr, expect, update);
        charge(physAddr, AccessKind.LOCKED_RMW);
        return ok;
    }

    /** {@code lock xadd}: a locked fetch-and-add of the word at {@code physAddr}. Owner only. */
    public int fetchAddInt(long physAddr, int delta) {
        interleave();
        int old = physical.getAndAddInt(physAddr, delta);
        charge(physAddr, AccessKind.LOCKED_RMW);
        return old;
    }

    /**
     * The arrival time of the earliest IPI posted to this CPU and not yet taken, or
     * {@code Long.MAX_VALUE}: a long computation stops there to take it on time. Owner only.
     */
    public long nextInterruptArrival() {
        if (!interruptLine.raisedOpaque()) {
            return Long.MAX_VALUE;
        }
        return apic.earliestPendingArrivalAcquire();
    }

    // =========================================================================================
    // Accessors
    // =========================================================================================

    public int index() {
        return index;
    }

    /** Whether this CPU is set to fail (it never answers its startup IPI and never runs). Any thread. */
    public boolean failed() {
        return failed;
    }

    public Machine machine() {
        return machine;
    }

    public CostModel cost() {
        return cost;
    }

    public LocalApic apic() {
        return apic;
    }

    /** The interrupt flag and its parking handshake. */
    public InterruptLine interruptLine() {
        return interruptLine;
    }

    public Dispatcher dispatcher() {
        return dispatcher;
    }

    /** This CPU's counters. Written by the owner only. */
    public SingleWriterCounters counters() {
        return counters;
    }

    /** The trace this CPU records into. Owner only. */
    public EventLog log() {
        return log;
    }

    /** A one-line description of the CPU's state for reports. Any thread (racy snapshot). */
    public String describe() {
        String st = switch (stateAcquire()) {
            case RUNNING -> "running";
            case IDLE -> "idle";
            case PARKED -> "parked";
            default -> failed ? "failed (never answered its startup IPI)" : "stopped";
        };
        String wait = waitReasonOpaque();
        return "cpu" + index + "{" + st + ", clock " + clockAcquire()
                + (wait != null ? ", waiting for " + wait : "")
                + ", lint slots in use " + apic.occupiedSlotsAcquire()
                + (interruptPendingVolatile() ? ", interrupt pending" : "")
                + (dispatcher != null ? ", " + dispatcher : "") + "}";
    }

    @Override
    public String toString() {
        return "cpu" + index;
    }
}
