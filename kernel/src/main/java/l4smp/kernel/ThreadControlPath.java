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
    /**
     * X.2 ThreadControl error: invalid space. ThreadControl names its dest by a global id only
     * (Pistachio {@code SYS_THREAD_CONTROL}: "if (! dest_tid.is_global ()) set_error_code
     * (EINVALID_SPACE)").
     */
    static final int INVALID_SPACE = 3;
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
            // The handler, its CPU, the line's route and the held interrupts are host state that
            // a CPU taking or raising the line reads: written at an order point, before any charge
            // (partners: the ones in DispatchPath.deviceInterrupt and IoApic.raise).
            kcpu.cpu().orderPoint();
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
            create(t, ThreadId.NIL, spec);
        } else if (t.sysArgument() instanceof ThreadControlRequests.Create c) {
            create(t, c.dest(), c.spec());
        } else {
            Tcb victim = t.sysTo().isLocal() ? null : kernel.lookup(t.sysTo());
            if (t.sysTo().isLocal()) {
                // A local id is no ThreadControl dest: error, nothing deleted (X.2, Pistachio).
                t.setErrorCode(INVALID_SPACE);
                t.setSysResult(ThreadId.NIL);
            } else if (victim == null || victim == t) {
                // X.2 / Pistachio sys_thread_control: no such thread; and a thread does not
                // delete itself ("do not allow deletion of ourself"): error, the caller goes on.
                t.setErrorCode(UNAVAILABLE_THREAD);
                t.setSysResult(ThreadId.NIL);
            } else if (victim.cpuAcquire() != kcpu.index()) {
                XpIpc xp = kcpu.ipcPath().xp();
                if (xp != null) {
                    // Deleted on its own CPU (each CPU ends only its own threads, implementation
                    // decision 3; Pistachio's cross-CPU delete): the exchange-registers request
                    // carries it there and answers the caller.
                    t.setSysArgument(XpExchangeRegisters.deleteOperation(t, victim.id));
                    xp.exchangeRegisters().call(t);
                    return;
                }
                t.setErrorCode(UNAVAILABLE_THREAD);
                t.setSysResult(ThreadId.NIL);
                if (kernel.firstWarning(t)) {
                    LOG.warn("{} on CPU {} cannot delete {} on CPU {}: the kernel does not run there",
                            t, kcpu.index(), victim, victim.cpuAcquire());
                }
            } else {
                t.setSysResult(victim.id);
                kernel.threadLifecycle.threadEnded(kcpu, victim);
            }
        }
        t.setSysArgument(null);
        continueCaller(t);
    }

    /**
     * Creates a thread on this CPU with the global id {@code dest} (nil: the kernel's choice).
     * Errors (X.2 ThreadControl): 3 {@code dest} is a local id (invalid space), 2 the id is not
     * available (not a user thread number, or held by a live thread), 8 out of memory.
     */
    private void create(Tcb t, ThreadId dest, ThreadSpec spec) {
        if (dest.isLocal()) {
            t.setErrorCode(INVALID_SPACE);
            t.setSysResult(ThreadId.NIL);
            return;
        }
        if (!dest.isNil() && !kernel.threadLifecycle.available(dest)) {
            t.setErrorCode(UNAVAILABLE_THREAD);
            t.setSysResult(ThreadId.NIL);
            return;
        }
        Tcb created = kernel.threadLifecycle.newTcb(spec, kcpu.index(), dest);
        if (created == null) {
            t.setErrorCode(dest.isNil() || kernel.threadLifecycle.available(dest) ? OUT_OF_MEMORY : UNAVAILABLE_THREAD);
            t.setSysResult(ThreadId.NIL);
        } else {
            kcpu.admit(created);
            t.setSysResult(created.id);
        }
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
                    ThreadId.NIL, false, "unavailable", false, 0));
            continueCaller(t);
            return;
        }
        ExchangeRegisters.Result result = XpExchangeRegisters.applyLocal(kcpu.port, t, d, r);
        t.setErrorCode(result.errorCode());
        t.setSysResult(result);
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
