package l4smp.kernel;

import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.ipc.XpExchangeRegisters;
import l4smp.kernel.ipc.XpIpc;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.VarHandle;

/**
 * The ThreadControl and ExchangeRegisters system calls on one CPU (L4 X.2; thesis 7.1/7.2:
 * threads are created on the creator's current processor). Owner CPU only.
 */
final class ThreadControlPath {

    private static final Logger LOG = LoggerFactory.getLogger(ThreadControlPath.class);

    /** X.2 ThreadControl error: the thread does not exist (or is not reachable from here). */
    static final int UNAVAILABLE_THREAD = 2;
    /** X.2 ThreadControl error: out of memory (the thread table is full). */
    static final int OUT_OF_MEMORY = 8;

    private final Kernel kernel;
    private final KernelCpu kcpu;

    ThreadControlPath(Kernel kernel, KernelCpu kcpu) {
        this.kernel = kernel;
        this.kcpu = kcpu;
    }

    /**
     * Creates ({@code sysArgument} a {@link ThreadSpec}), deletes ({@code sysTo}) a thread, or
     * attaches the caller as an interrupt handler ({@link ThreadControlRequests.Attach}: X.2 sets the
     * interrupt thread's pager to the handler).
     */
    void threadControl(Tcb t) {
        t.setErrorCode(0);
        if (t.sysArgument() instanceof ThreadControlRequests.Attach attach) {
            Tcb irq = kernel.lookup(InterruptThreads.id(attach.line()));
            Tcb oldHandler = kernel.lookup(irq.pager());
            if (oldHandler != null && oldHandler != t) {
                t.setErrorCode(1); // X.2: no privilege (the line has another handler)
                t.setSysResult(ThreadId.NIL);
            } else {
                irq.setPager(t.id);
                irq.setCpuRelease(kcpu.index());
                if (!kernel.routedByLowestPriority(attach.line())) {
                    kcpu.cpu().machine().ioApic().route(attach.line(), kcpu.index());
                }
                // Interrupts raised before any handler attached were held (HeldInterrupts):
                // they arrive now, in order, through the interrupt thread as usual.
                VarHandle.fullFence(); // partner: the fence in KernelCpu.deviceInterrupt
                for (long held = kernel.heldInterrupts.takeAllVolatile(attach.line()); held > 0; held--) {
                    kcpu.ipcPath().deliverInterrupt(irq, t);
                }
                t.setSysResult(irq.id);
            }
            t.setSysArgument(null);
            continueCaller(t);
            return;
        }
        if (t.sysArgument() instanceof ThreadSpec spec) {
            Tcb created = kernel.newTcb(spec, kcpu.index());
            if (created == null) {
                t.setErrorCode(OUT_OF_MEMORY);
                t.setSysResult(ThreadId.NIL);
            } else {
                kcpu.admit(created);
                t.setSysResult(created.id);
            }
        } else {
            Tcb victim = kernel.lookup(t.sysTo());
            if (victim == null) {
                t.setErrorCode(UNAVAILABLE_THREAD);
                t.setSysResult(ThreadId.NIL);
            } else if (victim.cpuAcquire() != kcpu.index()) {
                t.setErrorCode(UNAVAILABLE_THREAD);
                t.setSysResult(ThreadId.NIL);
                if (kernel.firstWarning(t)) {
                    LOG.warn("{} on CPU {} cannot delete {} on CPU {}: deleting a thread on another processor "
                            + "needs the cross-processor kernel path", t, kcpu.index(), victim, victim.cpuAcquire());
                }
            } else {
                t.setSysResult(victim.id);
                kernel.threadEnded(kcpu, victim);
                if (victim == t) {
                    return; // deleted itself: never resumed
                }
            }
        }
        t.setSysArgument(null);
        continueCaller(t);
    }

    /**
     * ExchangeRegisters of {@code sysArgument} (a {@link ExchangeRegisters.Request}). With the
     * cross-processor paths, the target may be on any CPU: the request runs on the target's CPU
     * and a cancel aborts an IPC in flight across processors (thesis 8.4.3,
     * {@link XpExchangeRegisters}); on a one-CPU machine every thread is local.
     */
    void exchangeRegisters(Tcb t) {
        XpIpc xp = kcpu.ipcPath().xp();
        if (xp != null) {
            xp.exchangeRegisters().call(t);
            return;
        }
        ExchangeRegisters.Request r = (ExchangeRegisters.Request) t.sysArgument();
        t.setSysArgument(null);
        Tcb d = kernel.lookup(r.dest());
        if (d == null) {
            t.setErrorCode(UNAVAILABLE_THREAD);
            t.setSysResult(new ExchangeRegisters.Result(ThreadId.NIL, UNAVAILABLE_THREAD, 0, 0, 0, 0,
                    ThreadId.NIL, false, "unavailable", false));
            continueCaller(t);
            return;
        }
        t.setErrorCode(0);
        t.setSysResult(XpExchangeRegisters.applyLocal(kcpu.port, t, d, r));
        if (d == t && d.halted()) {
            return; // halted itself: stays off the CPU until resumed
        }
        continueCaller(t);
    }

    private void continueCaller(Tcb t) {
        kcpu.readyList().enqueueHead(t);
        kcpu.setSwitchHint(t);
    }
}
