package l4smp.bench.jfr;

import l4smp.emulator.trace.EventKind;
import l4smp.emulator.trace.EventLog;
import l4smp.kernel.Kernel;
import l4smp.kernel.Syscall;
import l4smp.kernel.space.TlbShootdown;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Turns the machine's trace events into {@link FlightEvents} as they are recorded: IPCs, local
 * ({@link Syscall#EV_IPC}) and cross-processor ({@link Syscall#EV_IPC_XCPU}, which the kernel
 * records where the copy ran, with the sender's CPU), IPIs sent and taken, TLB shootdown IPIs
 * (vector {@link TlbShootdown#VECTOR}), page faults (a trap of kind {@link Syscall#PAGE_FAULT})
 * and migrations (a thread switched to on another CPU than it last ran on). Events the recording
 * does not enable cost one check each.
 *
 * <p>Thread-safe: in parallel mode every CPU's thread calls {@link #onEvent}. The last CPU of
 * each thread is an atomic array written (release) by the CPU that switched to it and read
 * (acquire) by the next CPU that does: a thread moves between CPUs only through the kernel's
 * migration handshake, which orders the old CPU's switch before the new CPU's, so the new CPU
 * reads the old CPU's entry.
 */
public final class JfrTraceListener implements EventLog.Listener {

    /** Every thread number the kernel hands out. */
    static final int MAX_THREADS = Kernel.MAX_THREADS;

    private final AtomicIntegerArray lastCpu = new AtomicIntegerArray(MAX_THREADS);

    public JfrTraceListener() {
        for (int i = 0; i < MAX_THREADS; i++) {
            lastCpu.setPlain(i, -1);
        }
    }

    @Override
    public void onEvent(int cpu, int kind, long time, long a, long b) {
        switch (kind) {
            case Syscall.EV_IPC -> {
                FlightEvents.Ipc e = new FlightEvents.Ipc();
                if (e.isEnabled()) {
                    e.cpu = cpu;
                    e.cycles = time;
                    e.receiver = a;
                    e.sender = b;
                    e.commit();
                }
            }
            case Syscall.EV_IPC_XCPU -> {
                FlightEvents.XpIpc e = new FlightEvents.XpIpc();
                if (e.isEnabled()) {
                    e.cpu = cpu;
                    e.cycles = time;
                    e.receiver = a;
                    e.sender = Syscall.xcpuSenderNumber(b);
                    e.senderCpu = Syscall.xcpuSenderCpu(b);
                    e.commit();
                }
            }
            case Syscall.EV_SWITCH -> switchTo(cpu, time, b);
            case Syscall.EV_TRAP -> {
                if (b == Syscall.PAGE_FAULT) {
                    FlightEvents.PageFault e = new FlightEvents.PageFault();
                    if (e.isEnabled()) {
                        e.cpu = cpu;
                        e.cycles = time;
                        e.thread = a;
                        e.commit();
                    }
                }
            }
            case EventKind.IPI_SEND -> {
                if (b == TlbShootdown.VECTOR) {
                    FlightEvents.Shootdown s = new FlightEvents.Shootdown();
                    if (s.isEnabled()) {
                        s.cpu = cpu;
                        s.cycles = time;
                        s.target = (int) a;
                        s.commit();
                    }
                }
                FlightEvents.Ipi e = new FlightEvents.Ipi();
                if (e.isEnabled()) {
                    e.cpu = cpu;
                    e.cycles = time;
                    e.target = (int) a;
                    e.vector = (int) b;
                    e.commit();
                }
            }
            case EventKind.IPI_TAKE -> {
                FlightEvents.IpiTaken e = new FlightEvents.IpiTaken();
                if (e.isEnabled()) {
                    e.cpu = cpu;
                    e.cycles = time;
                    e.sender = (int) a;
                    e.vector = (int) b;
                    e.commit();
                }
            }
            default -> {
                // idle, wake, timer, EOI, LINT waits, IPC errors, thread ends: in the trace only
            }
        }
    }

    private void switchTo(int cpu, long time, long thread) {
        if (thread < 0 || thread >= MAX_THREADS) {
            return;
        }
        int before = lastCpu.getAcquire((int) thread);
        lastCpu.setRelease((int) thread, cpu);
        if (before >= 0 && before != cpu) {
            FlightEvents.Migration e = new FlightEvents.Migration();
            if (e.isEnabled()) {
                e.cpu = cpu;
                e.cycles = time;
                e.thread = thread;
                e.from = before;
                e.commit();
            }
        }
    }
}
