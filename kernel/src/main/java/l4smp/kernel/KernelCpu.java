package l4smp.kernel;

import l4smp.emulator.apic.Interrupt;
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
    private final int entryCycles;
    private final int exitCycles;
    private Tcb current;
    private Tcb lastRun;
    private Tcb switchHint;
    private SingleWriterCounters counters;
    private int cTraps;
    private int cSwitches;
    private int cSpurious;

    KernelCpu(Kernel kernel, Cpu cpu) {
        this.kernel = kernel;
        this.cpu = cpu;
        this.index = cpu.index();
        this.ipc = new IpcPath(kernel, this);
        this.entryCycles = cpu.cost().kernelEntryCycles();
        this.exitCycles = cpu.cost().kernelExitCycles();
    }

    @Override
    public void onStart(Cpu cpu) {
        counters = cpu.counters();
        var names = counters.names();
        cTraps = names.indexOf(Kernel.C_TRAPS);
        cSwitches = names.indexOf(Kernel.C_SWITCHES);
        cSpurious = names.indexOf(Kernel.C_SPURIOUS_IRQ);
        ipc.onStart(counters);
    }

    @Override
    public int doWork(Cpu cpu) {
        fireTimeouts();
        Tcb next = pickNext();
        if (next == null) {
            return 0;
        }
        run(next);
        return 1;
    }

    private Tcb pickNext() {
        Tcb hint = switchHint;
        if (hint != null) {
            switchHint = null;
            if (hint.state == ThreadState.READY && hint.cpuPlain() == index
                    && hint.priority >= ready.highestNonEmpty()) {
                ready.remove(hint);
                return hint;
            }
        }
        return ready.pickNext();
    }

    private void run(Tcb t) {
        if (t != lastRun) {
            counters.increment(cSwitches);
            cpu.log().record(index, Syscall.EV_SWITCH, cpu.clock(), lastRun == null ? -1 : lastRun.id.number(), t.id.number());
            lastRun = t;
        }
        current = t;
        cpu.advance(exitCycles);
        t.continuation.run();
        current = null;
        if (t.continuation.isDone()) {
            kernel.threadEnded(this, t);
            return;
        }
        cpu.advance(entryCycles);
        counters.increment(cTraps);
        cpu.log().record(index, Syscall.EV_TRAP, cpu.clock(), t.id.number(), t.trap);
        switch (t.trap) {
            case Syscall.IPC -> ipc.ipc(t);
            case Syscall.THREAD_SWITCH -> threadSwitch(t);
            case Syscall.PREEMPT -> {
                // The interrupt is taken by the duty cycle next; the thread continues after it.
                ready.enqueueHead(t);
                switchHint = t;
            }
            default -> throw new IllegalStateException("thread " + t + " trapped with unknown trap " + t.trap);
        }
    }

    private void threadSwitch(Tcb t) {
        ready.enqueueTail(t);
        Tcb to = kernel.lookup(t.sysTo);
        // Section 7: a thread on another CPU acts as nil (the dispatcher's choice).
        if (to != null && to != t && to.cpuAcquire() == index && to.state == ThreadState.READY) {
            switchHint = to;
        }
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
        // The kernel's IPI vectors (XCPU mailboxes, TLB shootdown) arrive with later issues;
        // an IPI nobody handles is counted and acknowledged, never silently lost.
        counters.increment(cSpurious);
    }

    @Override
    public long nextEvent(Cpu cpu) {
        long e = wakeups.earliest();
        return e == Long.MAX_VALUE ? NO_EVENT : e;
    }

    // ---- used by the kernel paths (owner CPU only) --------------------------------------------

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
        t.state = ThreadState.READY;
        ready.enqueueTail(t);
    }

    /** Fails the IPCs of this CPU's threads that wait for {@code dead}. */
    void ipcPartnerGone(Tcb dead, Iterable<Tcb> threadsOfThisCpu) {
        ipc.partnerGone(dead, threadsOfThisCpu);
    }

    /** Admits a new thread (setup). */
    void admit(Tcb t) {
        t.state = ThreadState.READY;
        ready.enqueueTail(t);
    }

    @Override
    public String toString() {
        return "kernel{current " + current + ", ready " + ready.size() + ", timeouts " + wakeups.size() + "}";
    }
}
