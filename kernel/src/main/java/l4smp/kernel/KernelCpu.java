package l4smp.kernel;

import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.apic.IoApic;
import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.AttributionTags;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.ipc.IpcPath;
import l4smp.kernel.sched.ReadyList;
import l4smp.kernel.sched.WakeupQueue;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadState;

/**
 * The kernel on one CPU: its dispatcher (the emulator's {@link Dispatcher} hook), ready list,
 * wakeup queue and IPC path.
 *
 * <p>Every method runs on the owner CPU (implementation decision 3); nothing here is shared.
 * A duty cycle fires due timeouts, picks the next thread (a direct-switch hint left by the last
 * kernel path, else the ready list), charges the kernel exit, resumes the thread's continuation
 * until it traps (a {@code Continuation.yield} of the USER scope), charges the kernel entry and
 * runs the trap's kernel path.
 */
public final class KernelCpu implements Dispatcher {

    private final Kernel kernel;
    private final Cpu cpu;
    private final int index;
    private final ReadyList ready = new ReadyList();
    private final WakeupQueue wakeups = new WakeupQueue();
    private final IpcPath ipc;
    private final ThreadControlPath threadControl;
    private final Migration migration;
    /** The thread whose kernel path (trap) runs now, or null (the dispatcher). */
    private Tcb kernelPath;
    /** The thread the dispatcher picked and has not yet run (invariant checks after a stop). */
    private Tcb inHand;
    private final int entryCycles;
    private final int exitCycles;
    private final long tickCycles;
    /** A closed receive here may wait for a gone partner (owner only). */
    private boolean partnerGoneCheck;
    private final long timesliceCycles;
    private long nextTick;
    /** When the running thread must trap at its next L4 call: the next tick or timeout. */
    private long deadline = Long.MAX_VALUE;
    private boolean wasIdle = true;
    private final java.util.List<l4smp.kernel.irq.Device> devices = new java.util.ArrayList<>();
    private final int fpuSwitchCycles;
    private final TcbLayout layout;
    /** Whether the machine charges memory accesses (the kernel's data touches are no-ops otherwise). */
    private final boolean accounting;
    private final ProbeLog probe = new ProbeLog(4096);
    /** The ready list's head line in simulated memory. */
    private final long readyListAddress;
    private Tcb fpuOwner;
    private Tcb current;
    private Tcb lastRun;
    private Tcb switchHint;
    private SingleWriterCounters counters;
    private int cTraps;
    private int cSwitches;
    private int cSpurious;
    private int cTicks;
    private int cTimesliceEnds;
    private int cIrqForwarded;
    private int cFpuSwitches;
    private int cFpuSavesAvoided;
    /** Whether the SMP boot (8.2) is done on this CPU (owner only; true without an SmpBoot). */
    private boolean booted;
    /** This CPU's processor number 1..k (8.2: the boot's numbering). Owner only. */
    private int processorNumber;

    KernelCpu(Kernel kernel, Cpu cpu, KernelConfig config) {
        this.kernel = kernel;
        this.cpu = cpu;
        this.index = cpu.index();
        this.ipc = new IpcPath(kernel, this);
        this.threadControl = new ThreadControlPath(kernel, this);
        this.migration = new Migration(kernel, this);
        this.entryCycles = cpu.cost().kernelEntryCycles();
        this.exitCycles = cpu.cost().kernelExitCycles();
        this.tickCycles = Math.max(1, cpu.cost().microsToCycles(config.tickMicros()));
        this.timesliceCycles = tickCycles * config.timesliceTicks();
        this.nextTick = tickCycles;
        this.fpuSwitchCycles = config.fpuSwitchCycles();
        this.layout = config.tcbLayout();
        this.accounting = cpu.machine().memorySystem() != null;
        this.readyListAddress = cpu.machine().kernelRegion().allocateLines(1, AttributionTags.READY_LIST);
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
        l4smp.kernel.ipc.XpIpc xp = ipc.xp();
        if (xp == null) {
            return doWorkLocal();
        }
        // In the kernel: the next mailbox check is at the next exit (8.3.4).
        xp.publishNextCheck(cpu.clock());
        int work = doWorkLocal();
        xp.flushIpis();
        return work;
    }

    private int doWorkLocal() {
        if (partnerGoneCheck) {
            partnerGoneCheck = false;
            failWaitsForGonePartners();
        }
        if (ipc.xp() != null && migration.servePending()) {
            return 1; // migration parts B and C requested of this CPU (8.7.2) run first
        }
        fireTimeouts();
        if (!devices.isEmpty()) {
            fireDevices();
        }
        Tcb next = pickNext();
        inHand = next;
        l4smp.kernel.ipc.XpIpc xp = ipc.xp();
        if (next == null && xp != null && xp.hasMailboxWaiters()) {
            xp.serveMailboxWaiters(); // mailboxes another CPU freed (see XpIpc, waiting for a mailbox)
            next = pickNext();
            inHand = next;
        }
        if (next == null && xp != null) {
            // About to idle: publish "never" first, then check once more (a sender that set its
            // flag after this check reads "idle" and sends an IPI; 8.3.4).
            while (true) {
                xp.publishNextCheck(l4smp.kernel.xcpu.XcpuFabric.IDLE);
                if (xp.checkAtExit() == 0) {
                    break; // idle with "never" published: a sender will send an IPI
                }
                xp.publishNextCheck(cpu.clock());
                if (xp.hasPendingMigrations()) {
                    return 1; // migration parts (8.7.2) run at the next duty cycle
                }
                next = pickNext();
                if (next != null) {
                    break;
                }
                // The check found only work that made nothing ready (a reply to a thread that
                // is gone): publish "never" again before idling, or no IPI would wake us.
            }
        }
        if (next == null) {
            wasIdle = true;
            cpu.apic().setTaskPriorityOpaque(-1);
            return 0;
        }
        if (next.kernelResume == l4smp.kernel.ipc.XpIpc.RESUME_RETRY_SCHEDULE) {
            // A schedule call whose target was busy (8.5): it runs again -- after a mailbox check
            // (a kernel exit's), or the cross-processor operation it waits for could never end.
            xp.publishNextCheck(cpu.clock());
            if (xp.checkAtExit() > 0 && (ready.highestNonEmpty() > next.priority || xp.hasPendingMigrations())) {
                ready.enqueueHead(next);
                return 1;
            }
            switchTo(next);
            next.kernelResume = 0;
            kernelPath = next;
            migration.schedule(next);
            kernelPath = null;
            return 1;
        }
        if (next.kernelResume == l4smp.kernel.ipc.XpExchangeRegisters.RESUME_RETRY_EXREGS) {
            // An exchange-registers call that found no free mailbox (8.3.4) runs again after a
            // backoff: check the mailboxes first, as a kernel exit would. Only this CPU consumes
            // the replies that free its mailboxes, and a CPU that keeps retrying never exits to
            // user mode and never idles, while its published next check ("now") makes every
            // sender save the IPI: without this check the replies would never be read and the
            // retry would spin forever. (An IPC that found none waits for a handed-off mailbox
            // instead, XpIpc "Waiting for a free mailbox": it never spins.)
            xp.publishNextCheck(cpu.clock());
            if (xp.checkAtExit() > 0 && (ready.highestNonEmpty() > next.priority || xp.hasPendingMigrations())) {
                ready.enqueueHead(next);
                return 1;
            }
        }
        if (next.xpMailbox != null || next.kernelResume != 0) {
            // A proxy (a kernel thread), or a thread with the rest of an IPC to finish in the
            // kernel (8.4.1 XP RETURN): no exit to user mode here.
            switchTo(next);
            if (next.xpMailbox != null) {
                xp.runProxy(next);
            } else {
                kernelPath = next;
                xp.resume(next);
                kernelPath = null;
            }
            return 1;
        }
        if (wasIdle) {
            // Tickless idle: the periodic tick resumes, in phase, when a thread runs again.
            wasIdle = false;
            long now = cpu.clock();
            if (nextTick <= now) {
                nextTick = (now / tickCycles + 1) * tickCycles;
            }
        }
        run(next);
        return 1;
    }

    private Tcb pickNext() {
        Tcb hint = switchHint;
        if (hint != null) {
            switchHint = null;
            if (hint.state == ThreadState.READY && !hint.halted && hint.cpuPlain() == index
                    && hint.priority >= ready.highestNonEmpty()) {
                if (hint.inReadyList) {
                    touchTcb(hint, TcbLayout.Field.READY_LINKS, AccessKind.WRITE);
                    ready.remove(hint);
                }
                return hint;
            }
        }
        if (ready.size() == 0) {
            return null;
        }
        touchReadyList(AccessKind.READ);
        Tcb t = ready.pickNext();
        if (t != null) {
            touchTcb(t, TcbLayout.Field.READY_LINKS, AccessKind.WRITE);
        }
        return t;
    }

    private void run(Tcb t) {
        long due = Math.min(Math.min(nextTick, wakeups.earliest()), nextDeviceEvent());
        l4smp.kernel.ipc.XpIpc xp = ipc.xp();
        if (xp != null) {
            // Kernel exit (8.3.4): publish when we check next (the tick, a timeout, or an
            // interrupt), then check_n_ack. A proxy it hooks outranks t: t waits at its head.
            xp.publishNextCheck(due);
            if (xp.checkAtExit() > 0 && (ready.highestNonEmpty() > t.priority || xp.hasPendingMigrations())) {
                ready.enqueueHead(t);
                return;
            }
        }
        switchTo(t);
        current = t;
        if (t.remainingTimeslice <= 0) {
            t.remainingTimeslice = t.timeslice > 0 ? t.timeslice : timesliceCycles;
        }
        cpu.advance(exitCycles);
        deadline = due;
        // Address spaces (2.2, 8.3.2): load t's space; redo an IPC a page fault interrupted.
        l4smp.kernel.space.Spaces spaces = kernel.spacesOrNull();
        if (spaces != null && spaces.beforeRun(this, t)) {
            current = null;
            return;
        }
        t.runningOn = this; // read by t's own code after each trap (it may resume elsewhere)
        if (t.identity == null) {
            t.identity = new l4smp.kernel.thread.L4ThreadIdentity(t); // first run: setup cost, once
        }
        cpu.runGuest(t.continuation, t.identity);
        current = null;
        if (xp != null) {
            xp.publishNextCheck(cpu.clock()); // in the kernel again
        }
        if (t.continuation.isDone()) {
            kernel.threadEnded(this, t);
            return;
        }
        cpu.advance(entryCycles);
        counters.increment(cTraps);
        cpu.log().record(index, Syscall.EV_TRAP, cpu.clock(), t.id.number(), t.trap);
        kernelPath = t;
        try {
            kernelPath(t);
        } finally {
            kernelPath = null;
        }
    }

    private void kernelPath(Tcb t) {
        switch (t.trap) {
            case Syscall.SCHEDULE -> migration.schedule(t);
            case Syscall.IPC -> ipc.ipc(t);
            case Syscall.THREAD_SWITCH -> threadSwitch(t);
            case Syscall.PREEMPT -> {
                // The interrupt is taken by the duty cycle next; the thread continues after it.
                ready.enqueueHead(t);
                switchHint = t;
            }
            case Syscall.TIMER -> timerInterrupt(t);
            case Syscall.THREAD_CONTROL -> threadControl.threadControl(t);
            case Syscall.EXCHANGE_REGISTERS -> threadControl.exchangeRegisters(t);
            case Syscall.SPACE_CONTROL -> SpaceControlPath.spaceControl(kernel, this, t);
            case Syscall.PAGE_FAULT -> SpaceControlPath.pageFault(kernel, this, t);
            default -> throw new IllegalStateException("thread " + t + " trapped with unknown trap " + t.trap);
        }
    }

    /** The thread switch to {@code t}: save the old stack pointer, load the new one and its state. */
    private void switchTo(Tcb t) {
        if (t != lastRun) {
            // The thread switch: save the old stack pointer, load the new one and its state.
            if (lastRun != null && lastRun.state != ThreadState.DEAD) {
                touchTcb(lastRun, TcbLayout.Field.STACK, AccessKind.WRITE);
            }
            touchTcb(t, TcbLayout.Field.STACK, AccessKind.READ);
            touchTcb(t, TcbLayout.Field.STATE, AccessKind.READ);
            if (t == fpuOwner && lastRun != null) {
                // Back to the FPU's owner after another thread ran: an eager kernel would have
                // saved and restored its FPU state; the lazy one did nothing (thesis 2.4).
                counters.increment(cFpuSavesAvoided);
            }
            cpu.apic().setTaskPriorityOpaque(t.priority);
            counters.increment(cSwitches);
            cpu.log().record(index, Syscall.EV_SWITCH, cpu.clock(), lastRun == null ? -1 : lastRun.id.number(), t.id.number());
            lastRun = t;
        }
    }

    private void threadSwitch(Tcb t) {
        Tcb to = kernel.lookup(t.sysTo);
        // Section 7: a thread on another CPU acts as nil (the dispatcher's choice).
        if (to != null && to != t && to.cpuAcquire() == index && to.state == ThreadState.READY) {
            // Donate the rest of our timeslice: the target runs on it; we start a fresh one later.
            to.remainingTimeslice = Math.max(t.remainingTimeslice, 1);
            switchHint = to;
        }
        t.remainingTimeslice = 0;
        ready.enqueueTail(t);
    }

    /**
     * The timer interrupt taken at an L4 call of {@code t}: count the elapsed ticks against its
     * timeslice (round robin at the end of it), fire due timeouts (which may make a thread of
     * higher priority ready: it preempts {@code t}).
     */
    private void timerInterrupt(Tcb t) {
        long now = cpu.clock();
        if (now >= nextTick) {
            long ticks = (now - nextTick) / tickCycles + 1;
            nextTick += ticks * tickCycles;
            t.remainingTimeslice -= ticks * tickCycles;
            counters.add(cTicks, ticks);
            cpu.log().record(index, Syscall.EV_TICK, now, t.id.number(), t.remainingTimeslice);
            if (ipc.xp() != null) {
                ipc.xp().serveMailboxWaiters();
            }
        }
        fireTimeouts();
        if (!devices.isEmpty()) {
            fireDevices();
        }
        if (t.remainingTimeslice <= 0) {
            counters.increment(cTimesliceEnds);
            ready.enqueueTail(t);
        } else {
            ready.enqueueHead(t);
            switchHint = t;
        }
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
        return (KernelCpu) self.runningOn;
    }

    /** The cycle at which the running thread must next trap (tick or timeout). */
    public long deadline() {
        return deadline;
    }

    private void fireTimeouts() {
        long now = cpu.clock();
        while (wakeups.earliest() <= now) {
            Tcb t = wakeups.peek();
            wakeups.remove(t);
            ipc.timeoutExpired(t);
        }
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
            deviceInterrupt(line, interrupt);
            return;
        }
        if (vector == l4smp.kernel.space.TlbShootdown.VECTOR && kernel.spacesOrNull() != null) {
            kernel.spacesOrNull().onShootdownIpi(this); // TLB shootdown (3.1.1, 9.3)
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
            interrupt.eoi();
            ipc.xp().onIpi();
            return;
        }
        // The kernel's IPI vectors (XCPU mailboxes, TLB shootdown) arrive with later issues;
        // an IPI nobody handles is counted and acknowledged, never silently lost.
        counters.increment(cSpurious);
    }

    /**
     * A device interrupt (thesis 2.4): delivered as an IPC from the line's interrupt thread to
     * its handler; forwarded by IPI when the IO-APIC routed it to another CPU than the
     * handler's (lowest-priority routing); held until a handler attaches when none is attached
     * (Kernel.holdInterruptVolatile).
     */
    private void deviceInterrupt(int line, Interrupt interrupt) {
        Tcb irq = kernel.lookup(InterruptThreads.id(line));
        if (irq == null) {
            counters.increment(cSpurious);
            return;
        }
        Tcb handler = kernel.lookup(irq.pager);
        if (handler == null) {
            kernel.holdInterruptVolatile(line);
            java.lang.invoke.VarHandle.fullFence(); // partner: the fence in ThreadControlPath's attach
            handler = kernel.lookup(irq.pager);
            if (handler == null || !kernel.reclaimHeldInterruptVolatile(line)) {
                return; // held: the attach delivers it
            }
        }
        int home = irq.cpuAcquire();
        if (home != index) {
            interrupt.eoi(); // acknowledge the IO-APIC first: keep our LINT slots free (3.3.1)
            counters.increment(cIrqForwarded);
            cpu.sendIpi(1L << home, interrupt.vector());
            return;
        }
        ipc.deliverInterrupt(irq, handler);
    }

    /** Raises the lines of the devices whose time has come (CPU 0 keeps the device timeline). */
    private void fireDevices() {
        long now = cpu.clock();
        for (int i = 0; i < devices.size(); i++) {
            l4smp.kernel.irq.Device d = devices.get(i);
            while (d.next() <= now) {
                d.fired();
                cpu.machine().ioApic().raise(d.line(), cpu);
            }
        }
    }

    private long nextDeviceEvent() {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < devices.size(); i++) {
            min = Math.min(min, devices.get(i).next());
        }
        return min;
    }

    /** Adds a device to this CPU's device timeline (setup; CPU 0). */
    void addDevice(l4smp.kernel.irq.Device device) {
        devices.add(device);
    }

    @Override
    public long nextEvent(Cpu cpu) {
        long e = Math.min(wakeups.earliest(), nextDeviceEvent());
        return e == Long.MAX_VALUE ? NO_EVENT : e;
    }

    /**
     * The FPU fault of {@code self} (running inside its continuation): when another thread
     * owns this CPU's FPU, its state is saved and {@code self}'s restored (lazy FPU switching,
     * thesis 2.4); otherwise nothing happens.
     */
    public void useFpu(Tcb self) {
        self.fpuUsed = true;
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
        return kernelPath != null ? kernelPath : inHand;
    }

    /** The thread whose kernel path runs now on this CPU, or null. */
    Tcb kernelPathThread() {
        return kernelPath;
    }

    /**
     * Part B of a migration (8.7.1, 8.7.2): {@code t} leaves the ready list; if it leaves this
     * CPU ({@code leaving}), its FPU state is saved and the FPU released (the state cannot be
     * saved lazily: C would run it without telling B), and no switch hint names it.
     */
    void detachForMigration(Tcb t, boolean leaving) {
        if (t.inReadyList) {
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
            // RESUME_RETRY_IPC, or made so by IpcPath.migrateOut).
            ipc.xp().leaveMailboxWait(t);
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
        if (t.state == ThreadState.WAITING) {
            partnerGoneCheck = true; // its partner may have ended while the IPI went to its old CPU
        }
        if (t.state == ThreadState.READY && !t.halted) {
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
        return current;
    }

    public ReadyList readyList() {
        return ready;
    }

    public WakeupQueue wakeups() {
        return wakeups;
    }

    /** Asks the dispatcher to run {@code t} next if it is ready and not outranked. */
    public void setSwitchHint(Tcb t) {
        switchHint = t;
    }

    /** Makes {@code t} ready at the tail of its priority. */
    public void makeReady(Tcb t) {
        touchTcb(t, TcbLayout.Field.STATE, AccessKind.WRITE);
        t.state = ThreadState.READY;
        if (!t.inReadyList) {
            touchReadyList(AccessKind.WRITE);
            touchTcb(t, TcbLayout.Field.READY_LINKS, AccessKind.WRITE);
        }
        ready.enqueueTail(t);
    }

    /**
     * Charges an access of this CPU to field {@code f} of {@code t}'s TCB (accounting layer).
     * For a thread of this CPU (implementation decision 3: only its CPU modifies it) this is no
     * interleaving point; a field of a thread elsewhere is ({@link Cpu#touch}).
     */
    public void touchTcb(Tcb t, TcbLayout.Field f, AccessKind kind) {
        if (!accounting) {
            return; // accounting off: nothing to charge, and no interleaving point either
        }
        int offset = layout.offset(f);
        long pa = (offset < TcbLayout.GROUPED_LOCAL_BYTES ? t.kernelAddress : t.kernelGlobalAddress) + offset;
        if (t.cpuPlain() == index) {
            cpu.touchOwn(pa, kind);
        } else {
            cpu.touch(pa, kind);
        }
    }

    /** Charges an access to message register {@code i} in {@code t}'s UTCB. */
    public void touchMr(Tcb t, int i, AccessKind kind) {
        if (!accounting) {
            return;
        }
        long pa = t.utcbAddress + 4L * i;
        if (t.cpuPlain() == index) {
            cpu.touchOwn(pa, kind);
        } else {
            cpu.touch(pa, kind);
        }
    }

    /** Charges an access to this CPU's ready-list head (only this CPU uses it). */
    public void touchReadyList(AccessKind kind) {
        if (!accounting) {
            return;
        }
        cpu.touchOwn(readyListAddress, kind);
    }

    /**
     * {@code dead} is gone: takes it out of the send queue it polls in, and fails the IPCs of
     * this CPU's threads that wait for it.
     */
    void ipcThreadGone(Tcb dead, Iterable<Tcb> threadsOfThisCpu) {
        ipc.threadGone(dead, threadsOfThisCpu);
    }

    /** A closed receive of this CPU may wait for a thread that is gone: check at the next dispatch. Owner only. */
    public void requestPartnerGoneCheck() {
        partnerGoneCheck = true;
    }

    /**
     * Fails every closed receive of this CPU's threads whose partner is gone ("non-existing
     * partner", receive phase): the partner-gone IPI's handler, and the dispatcher after a
     * receiver found its partner gone right after it published its wait. Owner only.
     */
    private void failWaitsForGonePartners() {
        for (Tcb t : kernel.threadsOnCpu(index)) {
            if (t.state == ThreadState.WAITING && !t.receiveFrom.isNil() && !t.receiveFrom.isAny()
                    && kernel.lookup(t.receiveFrom) == null) {
                ipc.partnerGone(t);
            }
        }
    }

    /** The IPC path of this CPU. */
    public IpcPath ipcPath() {
        return ipc;
    }

    /** Admits a new thread (setup, or a thread-control call on this CPU). */
    void admit(Tcb t) {
        t.timeslice = timesliceCycles;
        t.remainingTimeslice = timesliceCycles;
        t.state = ThreadState.READY;
        ready.enqueueTail(t);
    }

    @Override
    public String toString() {
        return "kernel{current " + current + ", ready " + ready.size() + ", timeouts " + wakeups.size() + "}";
    }
}
