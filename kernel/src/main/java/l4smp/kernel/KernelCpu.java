package l4smp.kernel;

import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.apic.IoApic;
import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.AttributionTags;
import l4smp.emulator.cache.SingleWriterAccessPlan;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.boot.SmpBoot;
import l4smp.kernel.ipc.IpcPath;
import l4smp.kernel.ipc.XpIpc;
import l4smp.kernel.irq.Device;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.migrate.Migration;
import l4smp.kernel.sched.ReadyList;
import l4smp.kernel.sched.WakeupQueue;
import l4smp.kernel.space.TlbShootdown;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.thread.ThreadHost;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.XcpuFabric;

import java.util.Arrays;

/**
 * The kernel on one CPU: its dispatcher (the emulator's {@link Dispatcher} hook), ready list,
 * wakeup queue and IPC path.
 *
 * <p>Every method runs on the owner CPU (implementation decision 3); nothing here is shared.
 * A duty cycle fires due timeouts, picks the next thread (a direct-switch hint left by the last
 * kernel path, else the ready list), charges the kernel exit, resumes the thread's continuation
 * until it traps (a {@code Continuation.yield} of the USER scope), charges the kernel entry and
 * runs the trap's kernel path.
 *
 * <p>Its ready list, wakeup queue and charge operations are package-private: the kernel paths of
 * the {@code ipc}, {@code space} and {@code migrate} packages reach them through the narrow
 * {@link KernelCpuPort} they receive at construction, and migration's list work through its
 * {@link l4smp.kernel.migrate.MigrationHost}. The public methods are what the user facade runs
 * inside a thread's continuation and what reports read.
 */
public final class KernelCpu implements Dispatcher, ThreadHost {

    final DispatchPath dispatchPath = new DispatchPath(this);
    /** What this CPU's paths may do to it (handed to them at construction). */
    final CpuPort port = new CpuPort(this);

    final Kernel kernel;
    final Cpu cpu;
    final int index;
    final ReadyList ready = new ReadyList();
    final WakeupQueue wakeups = new WakeupQueue();
    final IpcPath ipc;
    final ThreadControlPath threadControl;
    final Migration migration;
    /** The thread whose kernel path (trap) runs now, or null (the dispatcher). */
    Tcb kernelPath;
    /**
     * The thread the dispatcher picked and has not yet run (invariant checks after a stop), unless
     * {@link #inHandLastRun}: then it is {@link #lastRun}.
     */
    Tcb inHand;
    /**
     * Whether the thread in hand is {@link #lastRun}: so after a direct switch of the IPC fast
     * path (DispatchPath.handedOffNext), whose partner the kernel exit then switches to at once
     * (lastRun), instead of a reference store -- and its GC barrier -- per IPC. Owner CPU only.
     */
    boolean inHandLastRun;
    final int entryCycles;
    final int exitCycles;
    final long tickCycles;
    /** A closed receive here may wait for a gone partner (owner only). */
    boolean partnerGoneCheck;
    final long timesliceCycles;
    long nextTick;
    /** When the running thread must trap at its next L4 call: the next tick or timeout. */
    long deadline = Long.MAX_VALUE;
    boolean wasIdle = true;
    /**
     * This CPU's devices (setup only: {@link #addDevice} before the machine runs; then read by the
     * owner). An array, not a list: the dispatcher tests it at every kernel exit and direct switch.
     */
    Device[] devices = new Device[0];
    final int fpuSwitchCycles;
    final TcbLayout layout;
    /**
     * Whether this CPU runs guests under their own identity ({@link Cpu#runGuest}: parallel mode,
     * java.lang open to us): only then does a thread need its {@link Tcb#identity()}.
     */
    final boolean guestIdentity;
    /** Whether the machine charges memory accesses (the kernel's data touches are no-ops otherwise). */
    final boolean accounting;
    final ProbeLog probe = new ProbeLog(4096);
    /** The ready list's head line in simulated memory. */
    final long readyListAddress;
    /**
     * The thread switch's charges (DispatchPath.switchTo): a's (the old thread's) stack pointer
     * saved, b's loaded and its state read; without the save.
     */
    final SingleWriterAccessPlan switchSavePlan;
    final SingleWriterAccessPlan switchLoadPlan;
    Tcb fpuOwner;
    /**
     * Whether a thread's guest runs on this CPU now (between its kernel exit and its trap): that
     * thread is {@link #lastRun}, the thread switch having made it so, and {@link #current()}
     * answers it. A flag instead of a reference: it changes twice per thread run, and a primitive
     * store has no GC barrier. Owner CPU only.
     */
    boolean guestRunning;
    /** The thread whose state the CPU holds (the last switched to), or null. Owner CPU only. */
    Tcb lastRun;
    Tcb switchHint;
    SingleWriterCounters counters;
    int cTraps;
    int cSwitches;
    int cSpurious;
    int cTicks;
    int cTimesliceEnds;
    int cIrqForwarded;
    int cFpuSwitches;
    int cFpuSavesAvoided;
    /** Whether the SMP boot (8.2) is done on this CPU (owner only; true without an SmpBoot). */
    boolean booted;
    /** This CPU's processor number 1..k (8.2: the boot's numbering). Owner only. */
    int processorNumber;

    KernelCpu(Kernel kernel, Cpu cpu, KernelConfig config) {
        this.kernel = kernel;
        this.cpu = cpu;
        this.index = cpu.index();
        this.layout = config.tcbLayout(); // before the IPC path, whose fast path plans its charges
        this.ipc = new IpcPath(kernel, port);
        this.threadControl = new ThreadControlPath(kernel, this);
        this.migration = new Migration(kernel, port, new MigrationSide(this));
        this.entryCycles = cpu.cost().kernelEntryCycles();
        this.exitCycles = cpu.cost().kernelExitCycles();
        this.tickCycles = Math.max(1, cpu.cost().microsToCycles(config.tickMicros()));
        this.timesliceCycles = tickCycles * config.timesliceTicks();
        this.nextTick = tickCycles;
        this.fpuSwitchCycles = config.fpuSwitchCycles();
        this.accounting = cpu.machine().memorySystem() != null;
        this.guestIdentity = !cpu.deterministic() && Cpu.guestIdentitySupported();
        this.readyListAddress = cpu.machine().kernelRegion().allocateLines(1, AttributionTags.READY_LIST);
        this.planBases[PLAN_READY_LIST_BASE] = readyListAddress;
        this.switchSavePlan = new SingleWriterAccessPlan(planTcb(PLAN_A, TcbLayout.Field.STACK, AccessKind.WRITE),
                planTcb(PLAN_B, TcbLayout.Field.STACK, AccessKind.READ), planTcb(PLAN_B, TcbLayout.Field.STATE, AccessKind.READ));
        this.switchLoadPlan = new SingleWriterAccessPlan(planTcb(PLAN_B, TcbLayout.Field.STACK, AccessKind.READ),
                planTcb(PLAN_B, TcbLayout.Field.STATE, AccessKind.READ));
        this.processorNumber = index + 1;
    }

    /** The end of the SMP boot on this CPU (8.2): it runs threads as processor {@code number}. */
    void bootDone(int number) {
        booted = true;
        processorNumber = number;
    }

    /** This CPU's processor number 1..k (the UTCB's processor field, 7.2). Owner only. */
    public int processorNumber() {
        return processorNumber;
    }

    @Override
    public void onStart(Cpu cpu) {
        counters = cpu.counters();
        var names = counters.names();
        cTraps = names.indexOf(Kernel.C_TRAPS);
        cSwitches = names.indexOf(Kernel.C_SWITCHES);
        cSpurious = names.indexOf(Kernel.C_SPURIOUS_IRQ);
        cTicks = names.indexOf(Kernel.C_TICKS);
        cTimesliceEnds = names.indexOf(Kernel.C_TIMESLICE_ENDS);
        cIrqForwarded = names.indexOf(Kernel.C_IRQ_FORWARDED);
        cFpuSwitches = names.indexOf(Kernel.C_FPU_SWITCHES);
        cFpuSavesAvoided = names.indexOf(Kernel.C_FPU_SAVES_AVOIDED);
        ipc.onStart(counters);
        SmpBoot smp = kernel.smpBoot();
        if (smp == null) {
            booted = true;
        } else if (index == 0) {
            smp.bootstrap(this); // the bootstrap processor (8.2); the others wait for it
        }
    }

    @Override
    public int doWork(Cpu cpu) {
        if (!booted) {
            return kernel.smpBoot().apWork(this); // an AP before its boot is done (8.2)
        }
        XpIpc xp = ipc.xp();
        if (xp == null) {
            return dispatchPath.doWorkLocal();
        }
        // In the kernel: the next mailbox check is at the next exit (8.3.4).
        xp.check().publishNextCheck(cpu.clock());
        int work = dispatchPath.doWorkLocal();
        xp.flushIpis();
        return work;
    }

    /**
     * The preemption check of every L4 call: traps the running thread {@code self} when an
     * interrupt is due, or when the timer ticks or a timeout of this CPU expires. Runs inside the
     * user continuation. Returns the kernel CPU that runs {@code self} afterwards (another one
     * if it migrated while trapped): the caller uses that one from here on.
     */
    public KernelCpu preemptionPoint(Tcb self) {
        if (cpu.interruptDue()) {
            KernelTraps.trap(self, Syscall.PREEMPT);
            return of(self);
        } else if (cpu.clock() >= deadline) {
            KernelTraps.trap(self, Syscall.TIMER);
            return of(self);
        }
        return this;
    }

    /**
     * The kernel CPU running {@code self} now: what {@code self}'s own code must use after a trap
     * (the trap may have ended with {@code self} migrated to another CPU). Runs inside the user
     * continuation of {@code self}.
     */
    public static KernelCpu of(Tcb self) {
        return (KernelCpu) self.runningOn();
    }

    /** The cycle at which the running thread must next trap (tick or timeout). */
    public long deadline() {
        return deadline;
    }

    @Override
    public void onInterrupt(Cpu cpu, Interrupt interrupt) {
        int vector = interrupt.vector();
        if (!booted) {
            kernel.smpBoot().onStartupIpi(this, vector); // INIT, STARTUP, release (8.2)
            return;
        }
        int line = vector - IoApic.VECTOR_BASE;
        if (line >= 0 && line < InterruptThreads.LINES) {
            dispatchPath.deviceInterrupt(line, interrupt);
            return;
        }
        if (vector == TlbShootdown.VECTOR && kernel.spacesOrNullAcquire() != null) {
            kernel.spacesOrNullAcquire().onShootdownIpi(port); // TLB shootdown (3.1.1, 9.3)
            return;
        }
        if (vector == Kernel.PARTNER_GONE_VECTOR) {
            failWaitsForGonePartners(); // a thread of another CPU ended (Kernel.notifyRemoteWaiters)
            return;
        }
        if (vector == Kernel.PROBE_VECTOR) {
            probe.record(interrupt.sentAt(), cpu.clock());
            return;
        }
        if (vector == Kernel.XCPU_VECTOR && ipc.xp() != null) {
            // 8.3.4 ipi_handler: EOI at once (keep the LINT slots free), then check_n_ack.
            cpu.eoiEarly(interrupt);
            ipc.xp().check().onIpi();
            return;
        }
        // A vector this kernel does not handle: counted and acknowledged, never silently lost.
        counters.increment(cSpurious);
    }

    /** Adds a device to this CPU's device timeline (setup; CPU 0). */
    void addDevice(Device device) {
        Device[] more = Arrays.copyOf(devices, devices.length + 1);
        more[devices.length] = device;
        devices = more;
    }

    @Override
    public long nextEvent(Cpu cpu) {
        long e = Math.min(wakeups.earliest(), dispatchPath.nextDeviceEvent());
        return e == Long.MAX_VALUE ? NO_EVENT : e;
    }

    /**
     * The FPU fault of {@code self} (running inside its continuation): when another thread
     * owns this CPU's FPU, its state is saved and {@code self}'s restored (lazy FPU switching,
     * thesis 2.4); otherwise nothing happens.
     */
    public void useFpu(Tcb self) {
        self.setFpuUsed(true);
        if (fpuOwner != self) {
            // The FPU is "secured" (TS set) for everyone but its owner: the access faults into
            // the kernel, which switches the state and returns.
            cpu.advance(entryCycles + exitCycles);
            if (fpuOwner != null) {
                counters.increment(cFpuSwitches);
                cpu.advance(fpuSwitchCycles);
            }
            fpuOwner = self;
        }
    }

    // ---- migration (8.7) ------------------------------------------------------------------------

    /**
     * The thread whose kernel path runs now on this CPU, else the one the dispatcher last
     * picked, or null (invariant checks after a stop: such a thread is legitimately in no list).
     */
    Tcb threadInHand() {
        return kernelPath != null ? kernelPath : inHandLastRun ? lastRun : inHand;
    }

    /**
     * Part B of a migration (8.7.1, 8.7.2): {@code t} leaves the ready list; if it leaves this
     * CPU ({@code leaving}), its FPU state is saved and the FPU released (the state cannot be
     * saved lazily: C would run it without telling B), and no switch hint names it.
     */
    void detachForMigration(Tcb t, boolean leaving) {
        if (t.inReadyList()) {
            touchReadyList(AccessKind.WRITE);
            touchTcb(t, TcbLayout.Field.READY_LINKS, AccessKind.WRITE);
            ready.remove(t);
        }
        if (switchHint == t) {
            switchHint = null;
        }
        if (!leaving) {
            return;
        }
        if (ipc.xp() != null) {
            // A send waiting for a mailbox of this CPU runs again on the new one (its IPC is
            // RETRY_IPC, or made so by IpcEnds' migrate-out).
            ipc.xp().mailboxWait().leave(t);
        }
        if (fpuOwner == t) {
            cpu.advance(fpuSwitchCycles); // save t's FPU registers now (8.7.1)
            counters.increment(cFpuSwitches);
            fpuOwner = null;
        }
        if (lastRun == t) {
            touchTcb(t, TcbLayout.Field.STACK, AccessKind.WRITE); // its stack pointer saved
            lastRun = null;
        }
    }

    /** Part C of a migration: {@code t} enters this CPU's ready list if it is ready. */
    void attachAfterMigration(Tcb t) {
        if (t.state() == ThreadState.WAITING) {
            partnerGoneCheck = true; // its partner may have ended while the IPI went to its old CPU
        }
        if (t.state() == ThreadState.READY && !t.halted()) {
            touchReadyList(AccessKind.WRITE);
            touchTcb(t, TcbLayout.Field.READY_LINKS, AccessKind.WRITE);
            ready.enqueueTail(t);
        }
    }

    /** Forgets a gone thread's FPU state. */
    void fpuThreadGone(Tcb t) {
        if (fpuOwner == t) {
            fpuOwner = null;
        }
    }

    // ---- used by the kernel paths (owner CPU only) --------------------------------------------

    /** What the probe IPIs measured on this CPU (read after the machine stopped). */
    public ProbeLog probeLog() {
        return probe;
    }

    /** The kernel this CPU belongs to. */
    public Kernel kernel() {
        return kernel;
    }

    /** The CPU. */
    public Cpu cpu() {
        return cpu;
    }

    public int index() {
        return index;
    }

    /** The thread running on this CPU now (inside a user continuation), or {@code null}. */
    public Tcb current() {
        return guestRunning ? lastRun : null;
    }

    ReadyList readyList() {
        return ready;
    }

    WakeupQueue wakeups() {
        return wakeups;
    }

    /** Asks the dispatcher to run {@code t} next if it is ready and not outranked. */
    void setSwitchHint(Tcb t) {
        switchHint = t;
    }

    /** Makes {@code t} ready at the tail of its priority. */
    void makeReady(Tcb t) {
        writeState(t, ThreadState.READY);
        if (!t.inReadyList()) {
            touchReadyList(AccessKind.WRITE);
            touchTcb(t, TcbLayout.Field.READY_LINKS, AccessKind.WRITE);
        }
        ready.enqueueTail(t);
    }

    /**
     * Makes {@code t} ready as {@link #makeReady} does -- the same state write, after the same
     * charges, which the caller has made ({@link #planHandOff}'s entries in a plan of its own) --
     * but leaves its ready-list entry to the dispatcher (the IPC fast path's partner,
     * DispatchPath.handedOffNext): {@code t} is in no ready list, so {@link #makeReady} would
     * charge the list head and {@code t}'s links and append it.
     */
    void handOffCharged(Tcb t) {
        t.setState(ThreadState.READY);
    }

    /**
     * Charges an access of this CPU to field {@code f} of {@code t}'s TCB (accounting layer).
     * For a thread of this CPU (implementation decision 3: only its CPU modifies it) this is no
     * interleaving point; a field of a thread elsewhere is ({@link Cpu#touch}).
     */
    void touchTcb(Tcb t, TcbLayout.Field f, AccessKind kind) {
        if (!accounting) {
            return; // accounting off: nothing to charge, and no interleaving point either
        }
        int offset = layout.offset(f);
        long pa = (offset < TcbLayout.GROUPED_LOCAL_BYTES ? t.kernelAddress() : t.kernelGlobalAddress()) + offset;
        if (t.cpuPlain() == index) {
            cpu.touchOwn(pa, kind);
        } else {
            cpu.touch(pa, kind);
        }
    }

    /**
     * Writes {@code t}'s thread state and charges the write of its STATE word (8.6, line 0):
     * one call, so that a state change the thesis's kernel makes in memory is never left
     * uncharged. A state change without a charge of its own ({@link Tcb#setState}) is one whose
     * word the same path has just charged, or one the thesis's kernel does not make.
     */
    void writeState(Tcb t, ThreadState s) {
        touchTcb(t, TcbLayout.Field.STATE, AccessKind.WRITE);
        t.setState(s);
    }

    /** Writes {@code t}'s partner and charges the write of its PARTNER word (8.6, line 4). */
    void writePartner(Tcb t, Tcb partner) {
        touchTcb(t, TcbLayout.Field.PARTNER, AccessKind.WRITE);
        t.setPartner(partner);
    }

    /** Charges an access to message register {@code i} in {@code t}'s UTCB. */
    void touchMr(Tcb t, int i, AccessKind kind) {
        if (!accounting) {
            return;
        }
        long pa = t.utcbAddress() + 4L * i;
        if (t.cpuPlain() == index) {
            cpu.touchOwn(pa, kind);
        } else {
            cpu.touch(pa, kind);
        }
    }

    /** Charges an access to this CPU's ready-list head (only this CPU uses it). */
    void touchReadyList(AccessKind kind) {
        if (!accounting) {
            return;
        }
        cpu.touchOwn(readyListAddress, kind);
    }

    /*
     * Planned charges. A kernel path that touches the same fields of one or two TCBs every time
     * (the IPC fast path, the thread switch) builds a plan of them once (planTcb,
     * planReadyList: each entry a field of TCB a or b, or the ready list, with its kind) and
     * charges it with chargePlan(a, b, plan): exactly the touchTcb and touchReadyList calls the
     * plan lists, in its order. When both TCBs are this CPU's (own data, no interleaving point)
     * the plan is one Cpu.touchOwnPlan run (see Cpu's "Runs of own-data charges"): the owner
     * test and the base addresses once for the run, one clock store. Otherwise each entry is
     * charged as touchTcb would charge it (touch for a thread elsewhere).
     */

    /** Who a plan entry's word belongs to: TCB a, TCB b of {@link #chargePlan}, or the ready list. */
    static final int PLAN_A = 0;
    static final int PLAN_B = 1;
    private static final int PLAN_READY_LIST_BASE = 4;
    /** The base of a's UTCB; b's follows. */
    private static final int PLAN_MR_BASE = 5;
    /**
     * The bases of a planned run (owner only): a's processor-local and global TCB parts (0, 1),
     * b's (2, 3), the ready list (4, set once), a's and b's UTCBs (5, 6).
     */
    private final long[] planBases = new long[7];

    /** A plan entry: an access of {@code kind} to field {@code f} of TCB {@code who} ({@link #PLAN_A}, {@link #PLAN_B}). */
    int planTcb(int who, TcbLayout.Field f, AccessKind kind) {
        if (who != PLAN_A && who != PLAN_B) {
            throw new IllegalArgumentException("a plan's TCB is a or b: " + who);
        }
        int offset = layout.offset(f);
        return SingleWriterAccessPlan.entry(2 * who + (offset < TcbLayout.GROUPED_LOCAL_BYTES ? 0 : 1), kind, offset);
    }

    /**
     * A plan entry: an access of {@code kind} to message register {@code i} of TCB {@code who}'s
     * UTCB ({@link #touchMr}).
     */
    int planMr(int who, int i, AccessKind kind) {
        if (who != PLAN_A && who != PLAN_B) {
            throw new IllegalArgumentException("a plan's TCB is a or b: " + who);
        }
        return SingleWriterAccessPlan.entry(PLAN_MR_BASE + who, kind, 4 * i);
    }

    /** {@link #makeReady}'s charges of TCB {@code who} in no ready list, as plan entries ({@link #handOffCharged}). */
    int[] planHandOff(int who) {
        return new int[] {planTcb(who, TcbLayout.Field.STATE, AccessKind.WRITE), planReadyList(AccessKind.WRITE),
                planTcb(who, TcbLayout.Field.READY_LINKS, AccessKind.WRITE)};
    }

    /** A plan entry: an access of {@code kind} to this CPU's ready-list head ({@link #touchReadyList}). */
    int planReadyList(AccessKind kind) {
        return SingleWriterAccessPlan.entry(PLAN_READY_LIST_BASE, kind, 0);
    }

    /**
     * Charges {@code plan} with {@code a} and {@code b} as its TCBs (they may be one): exactly
     * the {@link #touchTcb} and {@link #touchReadyList} calls it lists, in its order (see
     * "Planned charges"). Owner only. Allocation-free.
     */
    void chargePlan(Tcb a, Tcb b, SingleWriterAccessPlan plan) {
        if (!accounting) {
            return; // as touchTcb: nothing to charge, and no interleaving point either
        }
        final long[] bases = planBases;
        bases[0] = a.kernelAddress();
        bases[1] = a.kernelGlobalAddress();
        bases[2] = b.kernelAddress();
        bases[3] = b.kernelGlobalAddress();
        bases[PLAN_MR_BASE] = a.utcbAddress();
        bases[PLAN_MR_BASE + 1] = b.utcbAddress();
        if (a.cpuPlain() == index && b.cpuPlain() == index) {
            cpu.touchOwnPlan(bases, plan);
        } else {
            chargePlanSlowPath(a, b, plan);
        }
    }

    /** {@link #chargePlan} with a TCB of another CPU among a and b: each entry as touchTcb charges it. */
    private void chargePlanSlowPath(Tcb a, Tcb b, SingleWriterAccessPlan plan) {
        final long[] bases = planBases;
        for (int i = 0; i < plan.length(); i++) {
            int e = plan.entryAt(i);
            int base = SingleWriterAccessPlan.base(e);
            long pa = SingleWriterAccessPlan.address(bases, e);
            Tcb owner = base == PLAN_READY_LIST_BASE ? null : base < 2 || base == PLAN_MR_BASE ? a : b;
            if (owner == null || owner.cpuPlain() == index) {
                cpu.touchOwn(pa, SingleWriterAccessPlan.kind(e));
            } else {
                cpu.touch(pa, SingleWriterAccessPlan.kind(e));
            }
        }
    }

    /**
     * The charges of a copy of message registers 1 to {@code u} from {@code from} to {@code to}
     * (TransmitPath's untyped words): for each i in turn {@link #touchMr}{@code (from, i, READ)}
     * and {@link #touchMr}{@code (to, i, WRITE)}, as one Cpu.touchOwnCopy run when both are this
     * CPU's. Owner only. Allocation-free.
     */
    void chargeMrCopy(Tcb from, Tcb to, int u) {
        if (!accounting) {
            return;
        }
        if (from.cpuPlain() == index && to.cpuPlain() == index) {
            cpu.touchOwnCopy(from.utcbAddress() + 4, to.utcbAddress() + 4, u);
        } else {
            for (int i = 1; i <= u; i++) {
                touchMr(from, i, AccessKind.READ);
                touchMr(to, i, AccessKind.WRITE);
            }
        }
    }

    /**
     * {@code dead} is gone: takes it out of the send queue it polls in, and fails the IPCs of
     * this CPU's threads that wait for it.
     */
    void ipcThreadGone(Tcb dead, Iterable<Tcb> threadsOfThisCpu) {
        ipc.threadGone(dead, threadsOfThisCpu);
    }

    /** A closed receive of this CPU may wait for a thread that is gone: check at the next dispatch. Owner only. */
    void requestPartnerGoneCheck() {
        partnerGoneCheck = true;
    }

    /**
     * Fails every closed receive of this CPU's threads whose partner is gone ("non-existing
     * partner", receive phase): the partner-gone IPI's handler, and the dispatcher after a
     * receiver found its partner gone right after it published its wait. Owner only.
     */
    void failWaitsForGonePartners() {
        // A thread that a migration is moving off this CPU is skipped: it has left this CPU's
        // lists, and its new CPU checks its wait (attachAfterMigration requests the check).
        Tcb leaving = migration.leavingThread();
        for (Tcb t : kernel.threadLifecycle.threadsOnCpu(index)) {
            if (t != leaving) {
                ipc.adoptRedirectedWait(t); // a propagation of another CPU may have redirected it
            }
            if (t != leaving && t.state() == ThreadState.WAITING && !t.receiveFrom().isNil() && !t.receiveFrom().isAny()
                    && kernel.lookup(t.receiveFrom()) == null) {
                ipc.partnerGone(t);
            }
        }
    }

    /** The IPC path of this CPU. */
    IpcPath ipcPath() {
        return ipc;
    }

    /** Binds the migration's XCPU mailboxes (at boot, after the cross-processor IPC). */
    void attachMigrationMailboxes(XpIpc xp, XcpuFabric fabric) {
        migration.attach(xp, fabric);
    }

    /** Admits a new thread (setup, or a thread-control call on this CPU). */
    void admit(Tcb t) {
        t.setTimeslice(timesliceCycles);
        t.setRemainingTimeslice(timesliceCycles);
        t.setState(ThreadState.READY);
        ready.enqueueTail(t);
    }

    @Override
    public String toString() {
        return "kernel{current " + current() + ", ready " + ready.size() + ", timeouts " + wakeups.size() + "}";
    }
}
