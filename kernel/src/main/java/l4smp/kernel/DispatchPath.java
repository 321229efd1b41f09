package l4smp.kernel;

import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.apic.IoApic;
import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.AttributionTags;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.ipc.IpcPath;
import l4smp.kernel.ipc.XpIpc;
import l4smp.kernel.irq.Device;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.sched.ReadyList;
import l4smp.kernel.sched.WakeupQueue;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.L4ThreadIdentity;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.thread.ThreadHost;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.XcpuFabric;

import java.lang.invoke.VarHandle;

/**
 * The dispatcher of one CPU's kernel: its duty cycle (migration parts, mailbox checks, picking
 * the next thread, idling), the switch to a thread and the resumption of a kernel path, the
 * timer tick with its timeslice and timeouts (thesis 8.7.3), and device interrupts routed to
 * this CPU. Owner CPU only (the CPU's host thread, or the deterministic stepper).
 */
final class DispatchPath {

    private final KernelCpu kcpu;

    DispatchPath(KernelCpu kcpu) {
        this.kcpu = kcpu;
    }

    int doWorkLocal() {
        if (kcpu.partnerGoneCheck) {
            kcpu.partnerGoneCheck = false;
            kcpu.failWaitsForGonePartners();
        }
        if (kcpu.ipc.hasXp() && kcpu.migration.servePending()) {
            return 1; // migration parts B and C requested of this CPU (8.7.2) run first
        }
        fireTimeouts();
        if (kcpu.devices.length != 0) {
            fireDevices();
        }
        Tcb next = pickNext();
        kcpu.inHand = next;
        kcpu.inHandLastRun = false;
        XpIpc xp = kcpu.ipc.xp();
        if (next == null && xp != null && xp.mailboxWait().hasWaiters()) {
            xp.mailboxWait().serveWaiters(); // mailboxes another CPU freed (see XpMailboxWait)
            next = pickNext();
            kcpu.inHand = next;
        }
        if (next == null && xp != null) {
            // About to idle: publish "never" first, then check once more (a sender that set its
            // flag after this check reads "idle" and sends an IPI; 8.3.4).
            while (true) {
                xp.check().publishNextCheck(XcpuFabric.IDLE);
                if (xp.check().checkAtExit() == 0) {
                    break; // idle with "never" published: a sender will send an IPI
                }
                xp.check().publishNextCheck(kcpu.cpu.clock());
                if (kcpu.migration.hasPending()) {
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
            kcpu.wasIdle = true;
            kcpu.cpu.publishTaskPriority(-1);
            return 0;
        }
        if (next.kernelResume() == KernelResume.RETRY_SCHEDULE) {
            // A schedule call whose target was busy (8.5): it runs again -- after a mailbox check
            // (a kernel exit's), or the cross-processor operation it waits for could never end.
            xp.check().publishNextCheck(kcpu.cpu.clock());
            if (xp.check().checkAtExit() > 0 && (kcpu.ready.highestNonEmpty() > next.priority() || kcpu.migration.hasPending())) {
                kcpu.ready.enqueueHead(next);
                return 1;
            }
            switchTo(next);
            next.setKernelResume(KernelResume.NONE);
            kcpu.kernelPath = next;
            kcpu.migration.schedule(next);
            kcpu.kernelPath = null;
            return 1;
        }
        if (next.kernelResume() == KernelResume.RETRY_EXREGS) {
            // An exchange-registers call that found no free mailbox (8.3.4) runs again after a
            // backoff: check the mailboxes first, as a kernel exit would. Only this CPU consumes
            // the replies that free its mailboxes, and a CPU that keeps retrying never exits to
            // user mode and never idles, while its published next check ("now") makes every
            // sender save the IPI: without this check the replies would never be read and the
            // retry would spin forever. (An IPC that found none waits for a handed-off mailbox
            // instead, XpMailboxWait: it never spins.)
            xp.check().publishNextCheck(kcpu.cpu.clock());
            if (xp.check().checkAtExit() > 0 && (kcpu.ready.highestNonEmpty() > next.priority() || kcpu.migration.hasPending())) {
                kcpu.ready.enqueueHead(next);
                return 1;
            }
        }
        if (next.hasXpMailbox() || next.kernelResume() != KernelResume.NONE) {
            // A proxy (a kernel thread), or a thread with the rest of an IPC to finish in the
            // kernel (8.4.1 XP RETURN): no exit to user mode here.
            switchTo(next);
            if (next.hasXpMailbox()) {
                xp.proxy().runProxy(next);
            } else {
                kcpu.kernelPath = next;
                resume(next);
                kcpu.kernelPath = null;
            }
            return 1;
        }
        if (kcpu.wasIdle) {
            // Tickless idle: the periodic tick resumes, in phase, when a thread runs again.
            kcpu.wasIdle = false;
            long now = kcpu.cpu.clock();
            if (kcpu.nextTick <= now) {
                kcpu.nextTick = (now / kcpu.tickCycles + 1) * kcpu.tickCycles;
            }
        }
        run(next);
        return 1;
    }

    Tcb pickNext() {
        Tcb hint = kcpu.switchHint;
        if (hint != null) {
            kcpu.switchHint = null;
            if (hint.state() == ThreadState.READY && !hint.halted() && hint.cpuPlain() == kcpu.index
                    && hint.priority() >= kcpu.ready.highestNonEmpty()) {
                if (hint.inReadyList()) {
                    kcpu.touchTcb(hint, TcbLayout.Field.READY_LINKS, AccessKind.WRITE);
                    kcpu.ready.remove(hint);
                }
                return hint;
            }
        }
        if (kcpu.ready.size() == 0) {
            return null;
        }
        kcpu.touchReadyList(AccessKind.READ);
        Tcb t = kcpu.ready.pickNext();
        if (t != null) {
            kcpu.touchTcb(t, TcbLayout.Field.READY_LINKS, AccessKind.WRITE);
        }
        return t;
    }

    /**
     * Runs {@code t}: the kernel exit, the thread until it traps, and its trap's kernel path;
     * then, while that path was an IPC fast path whose partner the duty cycle would run next with
     * nothing else to do first, the partner the same way, in this same frame (the direct switch
     * of the fast path, see {@link #handedOffNext}: after a continuation switch the host's return
     * predictions are the other stack's, so the loop resumes the next thread without returning).
     */
    void run(Tcb first) {
        Tcb t = first;
        while (exitTo(t)) {
            kcpu.cpu.runGuest(t.continuation.current(), t.identity());
            t = afterGuest(t);
            if (t == null) {
                return;
            }
        }
    }

    /**
     * The kernel exit to {@code t} (the first part of {@link #run}'s loop): false when {@code t}
     * is not to run now. The loop's body is split around the guest's run into this and
     * {@link #afterGuest}, each a method of its own, so that C2 compiles them: with the whole body
     * inside run's loop C2 gave up on run at every attempt ("no node with a side effect", a
     * bail-out of its loop optimisations), which left the loop in C1's profiled code and a
     * compiler thread busy for the whole run (docs/host-speed.md). The guest is resumed from
     * run's own frame, as before: no frame more between the loop and the continuation switch.
     */
    private boolean exitTo(Tcb t) {
        long due = Math.min(Math.min(kcpu.nextTick, kcpu.wakeups.earliest()), nextDeviceEvent());
        boolean xpPaths = kcpu.ipc.hasXp();
        if (xpPaths) {
            // Kernel exit (8.3.4): publish when we check next (the tick, a timeout, or an
            // interrupt), then check_n_ack. A proxy it hooks outranks t: t waits at its head.
            XpIpc xp = kcpu.ipc.xp();
            xp.check().publishNextCheck(due);
            if (xp.check().checkAtExit() > 0 && (kcpu.ready.highestNonEmpty() > t.priority() || kcpu.migration.hasPending())) {
                kcpu.ready.enqueueHead(t);
                return false;
            }
        }
        switchTo(t);
        kcpu.guestRunning = true; // current(): t, the thread switch's lastRun
        if (t.remainingTimeslice() <= 0) {
            t.setRemainingTimeslice(t.timeslice() > 0 ? t.timeslice() : kcpu.timesliceCycles);
        }
        kcpu.cpu.advance(kcpu.exitCycles);
        kcpu.deadline = due;
        // Address spaces (2.2, 8.3.2): load t's space; redo an IPC a page fault interrupted.
        if (kcpu.kernel.hasSpacesAcquire() && kcpu.kernel.spacesOrNullAcquire().beforeRun(kcpu.port, t)) {
            kcpu.guestRunning = false;
            return false;
        }
        if (t.runningOn() != kcpu) {
            // Read by t's own code after each trap (it may resume elsewhere); written only when it
            // changes (a reference store costs a GC barrier, and a thread mostly stays put).
            t.setRunningOn(kcpu);
        }
        if (t.identity() == null && kcpu.guestIdentity) {
            firstIdentity(t);
        }
        return true;
    }

    /** The rest of {@link #run}'s loop after {@code t}'s guest trapped: the partner to run next in this frame, or null. */
    private Tcb afterGuest(Tcb t) {
        kcpu.guestRunning = false;
        if (kcpu.ipc.hasXp()) {
            kcpu.ipc.xp().check().publishNextCheck(kcpu.cpu.clock()); // in the kernel again
        }
        if (t.continuation.isDone()) {
            kcpu.kernel.threadLifecycle.threadEnded(kcpu, t);
            return null;
        }
        kcpu.cpu.advance(kcpu.entryCycles);
        kcpu.counters.increment(kcpu.cTraps);
        kcpu.cpu.log().record(kcpu.index, Syscall.EV_TRAP, kcpu.cpu.clock(), t.id.number(), t.trap());
        if (t.trap() == Syscall.IPC && kcpu.ipc.fastPath(t)) {
            // The IPC fast path: no kernel path that could read kcpu.kernelPath (only a
            // migration's does) and no exception; the partner it made ready is t's partner now.
            return handedOffNext(t.partner());
        }
        kcpu.kernelPath = t;
        try {
            kernelPath(t);
        } finally {
            kcpu.kernelPath = null;
        }
        return null;
    }

    /**
     * A thread's first run in parallel mode builds its host identity: setup cost, once.
     * Deterministic mode (and a JVM that does not open java.lang) runs guests under the host
     * thread's own identity: a thread there never needs one, and 10^4 short-lived threads would
     * each build a host Thread object for nothing.
     */
    private static void firstIdentity(Tcb t) {
        t.setIdentity(new L4ThreadIdentity(t));
    }

    /**
     * {@code d}, the partner that the IPC fast path just made ready without entering it in the
     * ready list ({@link KernelCpu#handOffCharged}), if the duty cycle would now do nothing
     * but pick it: the machine runs and no interrupt is raised (the duty cycle's step), no
     * partner-gone check is requested, no cross-processor work exists (one CPU's kernel), no
     * timeout is due and no device is attached, and the pick would take the switch hint that the
     * general path's IPC leaves (IpcPath.continueInvoker: the partner) -- ready, not halted, of
     * this CPU and not outranked -- with no kernel path to finish. Then the pick's charge of its
     * ready links is made and the partner returned: the same figures as entering it in the ready
     * list and taking it out again. Otherwise the switch hint names it and it enters the ready
     * list at its tail, as {@link KernelCpu#makeReady} would have done, and null is returned: the
     * duty cycle goes on as after any kernel path (nothing read the hint or the ready list in
     * between). The hint is written only then: it is null here (the pick that began this run
     * cleared it, and neither a kernel exit, a guest nor the fast path writes it), and a direct
     * switch would consume it at once, so writing and clearing it would change nothing.
     */
    private Tcb handedOffNext(Tcb d) {
        assert kcpu.switchHint == null : "a switch hint survived its pick: " + kcpu.switchHint;
        if (!kcpu.partnerGoneCheck && !kcpu.ipc.hasXp()
                && kcpu.wakeups.earliest() > kcpu.cpu.clock() && kcpu.devices.length == 0
                && d.state() == ThreadState.READY && !d.halted() && d.cpuPlain() == kcpu.index
                && (kcpu.ready.size() == 0 || d.priority() >= kcpu.ready.highestNonEmpty())
                && d.kernelResume() == KernelResume.NONE && !d.hasXpMailbox() && !kcpu.wasIdle
                && kcpu.cpu.dutyCycleStepOpaque()) {
            kcpu.touchTcb(d, TcbLayout.Field.READY_LINKS, AccessKind.WRITE); // pickNext's take from the list
            // In hand: d, which the kernel exit switches to at once (lastRun, read by threadInHand).
            kcpu.inHandLastRun = true;
            return d;
        }
        kcpu.switchHint = d;
        kcpu.ready.enqueueTail(d);
        return null;
    }

    void kernelPath(Tcb t) {
        switch (t.trap()) {
            case Syscall.SCHEDULE -> kcpu.migration.schedule(t);
            case Syscall.IPC -> kcpu.ipc.ipc(t); // afterGuest tried the fast path first
            case Syscall.THREAD_SWITCH -> threadSwitch(t);
            case Syscall.PREEMPT -> {
                // The interrupt is taken by the duty cycle next; the thread continues after it.
                kcpu.ready.enqueueHead(t);
                kcpu.switchHint = t;
            }
            case Syscall.TIMER -> timerInterrupt(t);
            case Syscall.THREAD_CONTROL -> kcpu.threadControl.threadControl(t);
            case Syscall.EXCHANGE_REGISTERS -> kcpu.threadControl.exchangeRegisters(t);
            case Syscall.SPACE_CONTROL -> SpaceControlPath.spaceControl(kcpu.kernel, kcpu, t);
            case Syscall.PAGE_FAULT -> SpaceControlPath.pageFault(kcpu.kernel, kcpu, t);
            default -> throw new IllegalStateException("thread " + t + " trapped with unknown trap " + t.trap());
        }
    }

    /** The thread switch to {@code t}: save the old stack pointer, load the new one and its state. */
    void switchTo(Tcb t) {
        if (t != kcpu.lastRun) {
            // The thread switch: save the old stack pointer, load the new one and its state.
            if (kcpu.lastRun != null && kcpu.lastRun.state() != ThreadState.DEAD) {
                kcpu.chargePlan(kcpu.lastRun, t, kcpu.switchSavePlan); // its stack pointer saved, t's loaded, t's state read
            } else {
                kcpu.chargePlan(t, t, kcpu.switchLoadPlan);
            }
            if (t == kcpu.fpuOwner && kcpu.lastRun != null) {
                // Back to the FPU's owner after another thread ran: an eager kernel would have
                // saved and restored its FPU state; the lazy one did nothing (thesis 2.4).
                kcpu.counters.increment(kcpu.cFpuSavesAvoided);
            }
            kcpu.cpu.publishTaskPriority(t.priority());
            kcpu.counters.increment(kcpu.cSwitches);
            kcpu.cpu.log().record(kcpu.index, Syscall.EV_SWITCH, kcpu.cpu.clock(), kcpu.lastRun == null ? -1 : kcpu.lastRun.id.number(), t.id.number());
            kcpu.lastRun = t;
        }
    }

    void threadSwitch(Tcb t) {
        Tcb to = kcpu.kernel.lookup(t.sysTo());
        // Section 7: a thread on another CPU acts as nil (the dispatcher's choice).
        if (to != null && to != t && to.cpuAcquire() == kcpu.index && to.state() == ThreadState.READY) {
            // Donate the rest of our timeslice: the target runs on it; we start a fresh one later.
            to.setRemainingTimeslice(Math.max(t.remainingTimeslice(), 1));
            kcpu.switchHint = to;
        }
        t.setRemainingTimeslice(0);
        kcpu.ready.enqueueTail(t);
    }

    /**
     * The timer interrupt taken at an L4 call of {@code t}: count the elapsed ticks against its
     * timeslice (round robin at the end of it), fire due timeouts (which may make a thread of
     * higher priority ready: it preempts {@code t}).
     */
    void timerInterrupt(Tcb t) {
        long now = kcpu.cpu.clock();
        if (now >= kcpu.nextTick) {
            long ticks = (now - kcpu.nextTick) / kcpu.tickCycles + 1;
            kcpu.nextTick += ticks * kcpu.tickCycles;
            t.setRemainingTimeslice(t.remainingTimeslice() - ticks * kcpu.tickCycles);
            kcpu.counters.add(kcpu.cTicks, ticks);
            kcpu.cpu.log().record(kcpu.index, Syscall.EV_TICK, now, t.id.number(), t.remainingTimeslice());
            if (kcpu.ipc.xp() != null) {
                kcpu.ipc.xp().mailboxWait().serveWaiters();
            }
        }
        fireTimeouts();
        if (kcpu.devices.length != 0) {
            fireDevices();
        }
        if (t.remainingTimeslice() <= 0) {
            kcpu.counters.increment(kcpu.cTimesliceEnds);
            kcpu.ready.enqueueTail(t);
        } else {
            kcpu.ready.enqueueHead(t);
            kcpu.switchHint = t;
        }
    }

    void fireTimeouts() {
        long now = kcpu.cpu.clock();
        while (kcpu.wakeups.earliest() <= now) {
            Tcb t = kcpu.wakeups.peek();
            kcpu.wakeups.remove(t);
            kcpu.ipc.timeoutExpired(t);
        }
    }

    /**
     * A device interrupt (thesis 2.4): delivered as an IPC from the line's interrupt thread to
     * its handler; forwarded by IPI when the IO-APIC routed it to another CPU than the
     * handler's (lowest-priority routing); held until a handler attaches when none is attached
     * ({@link HeldInterrupts}).
     */
    void deviceInterrupt(int line, Interrupt interrupt) {
        // The line's handler, its CPU and the held interrupts are host state another CPU's
        // attach changes: read at an order point (partner: the one in ThreadControlPath's attach).
        kcpu.cpu.orderPoint();
        Tcb irq = kcpu.kernel.lookup(InterruptThreads.id(line));
        if (irq == null) {
            kcpu.counters.increment(kcpu.cSpurious);
            return;
        }
        Tcb handler = kcpu.kernel.lookup(irq.pager());
        if (handler == null) {
            kcpu.kernel.heldInterrupts.holdVolatile(line);
            VarHandle.fullFence(); // partner: the fence in ThreadControlPath's attach
            handler = kcpu.kernel.lookup(irq.pager());
            if (handler == null || !kcpu.kernel.heldInterrupts.reclaimVolatile(line)) {
                return; // held: the attach delivers it
            }
        }
        int home = irq.cpuAcquire();
        if (home != kcpu.index) {
            // Acknowledge the IO-APIC first: keep our LINT slots free (3.3.1).
            kcpu.cpu.eoiEarly(interrupt);
            kcpu.counters.increment(kcpu.cIrqForwarded);
            kcpu.cpu.sendIpi(1L << home, interrupt.vector());
            return;
        }
        kcpu.ipc.deliverInterrupt(irq, handler);
    }

    /** Raises the lines of the devices whose time has come (CPU 0 keeps the device timeline). */
    void fireDevices() {
        long now = kcpu.cpu.clock();
        for (int i = 0; i < kcpu.devices.length; i++) {
            Device d = kcpu.devices[i];
            while (d.next() <= now) {
                d.fired();
                kcpu.cpu.machine().ioApic().raise(d.line(), kcpu.cpu);
            }
        }
    }

    long nextDeviceEvent() {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < kcpu.devices.length; i++) {
            min = Math.min(min, kcpu.devices[i].next());
        }
        return min;
    }

    /**
     * The dispatcher picked {@code t} with a kernel path to finish ({@link Tcb#kernelResume}):
     * XP RETURN (8.4.1: free the mailbox, then the rest of the IPC), a retried IPC, or the
     * second half of a cross-processor exchange-registers call (8.4.3).
     */
    void resume(Tcb t) {
        XpIpc xp = kcpu.ipc.xp();
        long t0 = kcpu.cpu.clock();
        KernelResume what = t.kernelResume();
        t.setKernelResume(KernelResume.NONE);
        switch (what) {
            case RETRY_IPC -> kcpu.ipc.ipc(t);
            case RETRY_EXREGS, EXREGS_RETURN -> xp.exchangeRegisters().resume(t, what);
            default -> xp.sendPath().xpReturn(t);
        }
        if (t.kernelResume() == KernelResume.NONE) {
            xp.addReturnCycles(kcpu.cpu.clock() - t0);
        }
    }
}
