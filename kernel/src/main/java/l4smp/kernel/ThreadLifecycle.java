package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.cache.AttributionTags;
import l4smp.emulator.cache.KernelRegion;
import l4smp.emulator.cpu.CpuStuckException;
import l4smp.emulator.cpu.MachineStoppedException;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.irq.Device;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadNumbers;
import l4smp.kernel.thread.ThreadState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The life of a thread in the kernel's thread table: creation (a TCB, its place in simulated
 * memory, its CPU's ready list), its end on its CPU (the partners' IPCs fail, the CPUs with a
 * thread waiting for it are told), and the scans over the table by CPU. The table itself is the
 * kernel's ({@link Kernel#lookup}); the calls run on the thread's CPU unless said.
 */
final class ThreadLifecycle {

    private final Kernel kernel;

    ThreadLifecycle(Kernel kernel) {
        this.kernel = kernel;
    }

    /**
     * Creates a user thread on its CPU before the machine runs (at run time, threads create
     * threads with {@code L4.createThread}). Returns its id.
     */
    public ThreadId createThread(ThreadSpec spec) {
        if (kernel.machine.runningOpaque()) {
            throw new IllegalStateException("threads are created before the machine runs (thread " + spec.name()
                    + "); a running thread uses L4.createThread");
        }
        if (spec.cpu() < 0 || spec.cpu() >= kernel.cpus.length) {
            throw new IllegalArgumentException("thread " + spec.name() + ": cpu must be 0.." + (kernel.cpus.length - 1)
                    + ", got " + spec.cpu());
        }
        // spec.cpu() is a logical index (processor number - 1): the boot gives the thread its
        // physical CPU and admits it there; an index above the processors that came up fails it.
        if (kernel.cpus[spec.cpu()] == null) {
            throw new IllegalArgumentException("thread " + spec.name() + ": the kernel does not run on CPU " + spec.cpu());
        }
        Tcb tcb = newTcb(spec, spec.cpu());
        if (tcb == null) {
            throw new IllegalStateException("too many threads (at most " + Kernel.MAX_USER_THREADS + ")");
        }
        if (kernel.smp != null) {
            kernel.smp.addSetupThread(tcb, spec.cpu());
        } else {
            kernel.cpus[spec.cpu()].admit(tcb);
        }
        return tcb.id;
    }

    /**
     * Makes the TCB of a new thread homed on {@code cpu} and enters it in the thread table;
     * {@code null} when the table is full. The caller admits it to the CPU's ready list (on that
     * CPU, or at setup).
     */
    Tcb newTcb(ThreadSpec spec, int cpu) {
        return newTcb(spec, cpu, ThreadId.NIL);
    }

    /**
     * As {@link #newTcb(ThreadSpec, int)}, with the caller-chosen global id {@code requested}
     * (X.2 ThreadControl's dest: thread number and version), or the kernel's next free number
     * with version 1 when it is nil. {@code null} when the table or the kernel memory is full, or
     * the requested id is not available ({@link #available}; a concurrent creation may take it).
     *
     * <p>Numbers are claimed by compare-and-set on the table slot (any CPU), so a chosen number and
     * the kernel's own allocation never hand out one slot twice; a chosen number beyond the
     * allocator's moves the allocator past it, so that the table walks (which end at
     * {@link #tableEnd}) see the thread.
     */
    Tcb newTcb(ThreadSpec spec, int cpu, ThreadId requested) {
        while (true) {
            int number;
            ThreadId id;
            Tcb old = null;
            if (requested.isNil()) {
                number = ThreadNumbers.nextFree(kernel.table, kernel.nextNumber, Kernel.PROXY_BASE, Kernel.PROXY_RANGE,
                        Kernel.MAX_THREADS);
                if (number < 0) {
                    return null;
                }
                id = ThreadId.of(number, 1);
            } else {
                if (!available(requested)) {
                    return null;
                }
                number = requested.number();
                id = requested;
                old = kernel.table.getAcquire(number);
                ThreadNumbers.coverChosen(kernel.nextNumber, number, Kernel.PROXY_BASE, Kernel.PROXY_RANGE);
            }
            Tcb tcb = makeTcb(spec, cpu, id);
            if (tcb == null) {
                return null;
            }
            if (!ThreadNumbers.claim(kernel.table, number, old, tcb)) {
                if (!requested.isNil()) {
                    return null; // another creation took the chosen slot first
                }
                continue; // a caller chose this number meanwhile (its TCB lines stay allocated)
            }
            if (!spec.daemon()) {
                kernel.liveNonDaemon.incrementAndGet();
            }
            return tcb;
        }
    }

    /**
     * Whether a thread may be created with the global id {@code id}: a user thread number
     * (neither an interrupt thread's nor the proxies' range) whose table slot is free or holds a
     * thread that has ended. Any CPU.
     */
    boolean available(ThreadId id) {
        if (id.isNil() || id.isAny()) {
            return false;
        }
        int number = id.number();
        if (number < InterruptThreads.FIRST_USER_THREAD || number >= Kernel.MAX_THREADS
                || (number >= Kernel.PROXY_BASE && number < Kernel.PROXY_BASE + Kernel.PROXY_RANGE)) {
            return false;
        }
        Tcb old = kernel.table.getAcquire(number);
        return old == null || (old.myselfAcquire() == null && old.stateOpaque() == ThreadState.DEAD);
    }

    private Tcb makeTcb(ThreadSpec spec, int cpu, ThreadId id) {
        Tcb[] holder = new Tcb[1];
        Runnable body = () -> {
            try {
                holder[0].entry().call();
            } catch (MachineStoppedException | CpuStuckException e) {
                throw e; // the CPU's business, not the thread's
            } catch (Throwable e) {
                holder[0].setFailure(e);
            }
        };
        Tcb tcb = new Tcb(id, spec.name(), cpu, spec.priority(), spec.daemon(), body);
        holder[0] = tcb;
        if (spec.isInactive()) {
            tcb.setHalted(true); // X.2: inactive until exchange-registers gives it a program
        } else {
            UserProgram program = spec.program();
            tcb.setEntry(() -> {
                program.run();
                return null;
            });
        }
        if (!placeInMemory(tcb)) {
            return null;
        }
        return tcb;
    }

    /**
     * Gives {@code tcb} its TCB lines (in the configured layout) and its UTCB in the kernel
     * region. Returns false when the region is full.
     */
    boolean placeInMemory(Tcb tcb) {
        KernelRegion region = kernel.machine.kernelRegion();
        try {
            if (kernel.config.tcbLayout() == TcbLayout.GROUPED) {
                // Two allocations (lock-free; another CPU may allocate in between): the local
                // lines and the global lines, each with its attribution tag.
                int line = region.lineBytes();
                int localLines = (TcbLayout.GROUPED_LOCAL_BYTES + line - 1) / line;
                int globalLines = (TcbLayout.TCB_BYTES - TcbLayout.GROUPED_LOCAL_BYTES + line - 1) / line;
                tcb.setKernelAddress(region.allocateLines(localLines, AttributionTags.TCB_LOCAL));
                tcb.setKernelGlobalAddress(region.allocateLines(globalLines, AttributionTags.TCB_GLOBAL)
                        - TcbLayout.GROUPED_LOCAL_BYTES);
            } else {
                tcb.setKernelAddress(region.allocateBytes(TcbLayout.TCB_BYTES, Kernel.TCB_NAIVE_TAG));
                tcb.setKernelGlobalAddress(tcb.kernelAddress());
            }
            tcb.setUtcbAddress(region.allocateBytes(4L * MsgTag.MESSAGE_REGISTERS,
                    AttributionTags.USER_PAGE));
            return true;
        } catch (IllegalStateException | IllegalArgumentException full) {
            Kernel.LOG.warn("kernel memory exhausted creating {}: {}", tcb, full.getMessage());
            return false;
        }
    }

    /** A thread's program returned or threw, or the thread was deleted. Owner CPU of {@code t}. */
    void threadEnded(KernelCpu kcpu, Tcb t) {
        if (t.state() == ThreadState.DEAD) {
            return;
        }
        t.setState(ThreadState.DEAD);
        t.setMyselfRelease(null);
        if (kcpu.ipcPath().xp() != null) {
            kcpu.ipcPath().xp().mailboxWait().leave(t);
        }
        kcpu.readyList().remove(t);
        kcpu.wakeups().remove(t);
        boolean threw = t.failure() != null;
        kcpu.cpu().log().record(kcpu.index(), Syscall.EV_THREAD_END, kcpu.cpu().clock(), t.id.number(), threw ? 1 : 0);
        if (threw) {
            kcpu.cpu().counters().increment(kcpu.cpu().counters().names().indexOf(Kernel.C_THREAD_FAILURES));
            String report = "user thread " + t + " on CPU " + kcpu.index() + " threw " + t.failure()
                    + "; the thread is stopped, the machine runs on";
            kernel.failures.add(report);
            Kernel.LOG.error("{}", report, t.failure());
        }
        // Dekker with a receiver that marks t awaited before it publishes its wait (Tcb.awaited):
        // myself = null above, the fence, then the flag. A thread nobody ever waited for in a
        // closed receive needs no walk of the thread table for waiters to fail.
        VarHandle.fullFence();
        if (t.awaitedVolatile()) {
            kcpu.ipcThreadGone(t, threadsOn(kcpu.index()));
            notifyRemoteWaiters(kcpu, t);
        } else {
            kcpu.ipcThreadGone(t, List.of());
        }
        kcpu.fpuThreadGone(t);
        if (!t.daemon && kernel.liveNonDaemon.decrementAndGet() == 0) {
            kernel.machine.requestStop("all threads finished");
        }
    }

    /*
     * A closed receive from a thread of another CPU, and that thread's end (closing a race the
     * thesis does not discuss: thread deletion across processors). Each CPU fails only its own
     * threads' IPCs (implementation decision 3), so the ending thread's CPU tells the others:
     *
     *   receiver's CPU                            ending thread's CPU
     *   publish the wait word (release)           myself = null (release)
     *   full fence                                full fence
     *   partner still there? else fail it         read the other CPUs' threads' wait words;
     *   (at the next dispatch)                    an IPI (PARTNER_GONE_VECTOR) to each CPU with a
     *                                             thread waiting for us
     *
     * (Dekker): at least one side sees the other, so no receiver waits forever for a thread that
     * is gone. The wait words and the liveness check are the kernel's own (no simulated charge
     * beyond the IPI: the thesis's kernel has no such path to cost).
     */
    void notifyRemoteWaiters(KernelCpu kcpu, Tcb dead) {
        if (kernel.machine.cpuCount() == 1 || kcpu.ipcPath().xp() == null) {
            return;
        }
        VarHandle.fullFence(); // after myself = null, before the wait words (Dekker)
        int raw = dead.id.raw();
        long mask = 0;
        int n = tableEnd();
        for (int i = InterruptThreads.FIRST_USER_THREAD; i < n; i++) {
            Tcb w = kernel.table.getAcquire(i);
            if (w == null || w == dead || w.stateOpaque() == ThreadState.DEAD) {
                continue;
            }
            int home = w.cpuAcquire();
            if (home != kcpu.index() && kcpu.ipcPath().xp().publishedWaitFor(w) == raw) {
                mask |= 1L << home;
            }
        }
        if (mask != 0) {
            kcpu.cpu().sendIpi(mask, Kernel.PARTNER_GONE_VECTOR);
        }
    }

    /** The live threads whose CPU is {@code cpu} (a snapshot). Any thread. */
    List<Tcb> threadsOnCpu(int cpu) {
        return threadsOn(cpu);
    }

    List<Tcb> threadsOn(int cpu) {
        List<Tcb> list = new ArrayList<>();
        int n = tableEnd();
        for (int i = InterruptThreads.FIRST_USER_THREAD; i < n; i++) {
            Tcb t = kernel.table.getAcquire(i);
            if (t != null && t.stateOpaque() != ThreadState.DEAD && t.cpuAcquire() == cpu) {
                list.add(t);
            }
        }
        return list;
    }

    /** The thread number of the {@code serial}-th number handed out: the proxy range is skipped. */
    static int numberOf(int serial) {
        return ThreadNumbers.numberOf(serial, Kernel.PROXY_BASE, Kernel.PROXY_RANGE);
    }

    /** One past the highest thread-table slot in use (for walks of the table). Any thread. */
    int tableEnd() {
        return Math.min(numberOf(kernel.nextNumber.get()), Kernel.MAX_THREADS);
    }

    /** Every live user thread (reports and invariant checks; read when the machine stopped). */
    public List<Tcb> liveThreads() {
        List<Tcb> list = new ArrayList<>();
        int n = tableEnd();
        for (int i = InterruptThreads.FIRST_USER_THREAD; i < n; i++) {
            Tcb t = kernel.table.getAcquire(i);
            if (t != null && t.stateOpaque() != ThreadState.DEAD) {
                list.add(t);
            }
        }
        return list;
    }

    /**
     * Every user thread ever created, ended ones included (thread numbers are never reused: the
     * table keeps a dead thread's TCB), for reports that name the threads of a trace. Read when
     * the machine stopped, or as a snapshot (acquire loads).
     */
    public List<Tcb> threadsEverCreated() {
        List<Tcb> list = new ArrayList<>();
        int n = tableEnd();
        for (int i = InterruptThreads.FIRST_USER_THREAD; i < n; i++) {
            Tcb t = kernel.table.getAcquire(i);
            if (t != null) {
                list.add(t);
            }
        }
        return list;
    }

    /**
     * Every live user thread with its CPU, state and partner, in thread-number order (see
     * {@link Kernel#threadViews}).
     */
    public List<ThreadView> threadViews() {
        List<ThreadView> views = new ArrayList<>();
        int n = tableEnd();
        for (int i = InterruptThreads.FIRST_USER_THREAD; i < n; i++) {
            Tcb t = kernel.table.getAcquire(i);
            if (t == null || t.stateOpaque() == ThreadState.DEAD) {
                continue;
            }
            ThreadState state = t.stateOpaque();
            String waitsFor = "";
            if (state == ThreadState.WAITING) {
                ThreadId from = t.receiveFrom();
                waitsFor = "receive from " + (from == null || from.isAny() ? "any" : kernel.describe(from));
            } else if (state == ThreadState.POLLING && t.mailboxWaitCpu() >= 0) {
                waitsFor = "cross-processor send waiting for a free mailbox to CPU " + t.mailboxWaitCpu();
            } else if (state == ThreadState.POLLING) {
                waitsFor = "send to " + t.partner();
            } else if (state == ThreadState.LOCKED_WAITING) {
                waitsFor = "cross-processor send to " + t.partner() + " via " + t.proxyAcquire();
            }
            views.add(new ThreadView(t.toString(), t.cpuAcquire(), state, waitsFor, t.daemon));
        }
        return views;
    }

    /**
     * The global id of the thread that local id {@code local} names in address space
     * {@code space} (null: the flat space), or null when no thread of that space has it. Any CPU:
     * the space is read after the acquire of the thread's {@code myself}, which its creation
     * released after setting the space.
     */
    ThreadId resolveLocal(ThreadId local, l4smp.kernel.space.AddressSpace space) {
        int number = local.localNumber();
        if (number < 0 || number >= Kernel.MAX_THREADS) {
            return null;
        }
        Tcb t = kernel.table.getAcquire(number);
        if (t == null) {
            return null;
        }
        ThreadId myself = t.myselfAcquire();
        return myself != null && t.hardwareLine() < 0 && t.space() == space ? myself : null;
    }
}
