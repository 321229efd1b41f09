package l4smp.bench.jfr;

import l4smp.emulator.trace.EventKind;
import l4smp.emulator.trace.EventLog;
import l4smp.kernel.Syscall;
import l4smp.kernel.space.TlbShootdown;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Turns the machine's trace events into {@link FlightEvents} as they are recorded: IPCs (local,
 * or cross-processor when the sender last ran on another CPU), IPIs sent and taken, TLB
 * shootdown IPIs (vector {@link TlbShootdown#VECTOR}), page faults (a trap of kind
 * {@link Syscall#PAGE_FAULT}) and migrations (a thread switched to on another CPU than it last
 * ran on). Events the recording does not enable cost one check each.
 *
 * <p>Thread-safe: in parallel mode every CPU's thread calls {@link #onEvent}; the last CPU of
 * each thread is an atomic array written by the CPU that switched to it (opaque: a reader may
 * see a slightly older CPU, which classifies one event of a thread that moves at that moment).
 */
public final class JfrTraceListener implements EventLog.Listener {

    /** Thread numbers tracked; higher ones are not classified as migrating or cross-processor. */
    static final int MAX_THREADS = 1 << 16;

    private final AtomicIntegerArray lastCpu = new AtomicIntegerArray(MAX_THREADS);

    public JfrTraceListener() {
        for (int i = 0; i < MAX_THREADS; i++) {
            lastCpu.setPlain(i, -1);
        }
    }

    @Override
    public void onEvent(int cpu, int kind, long time, long a, long b) {
        switch (kind) {
            case Syscall.EV_IPC -> ipc(cpu, time, a, b);
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

    private void ipc(int cpu, long time, long receiver, long sender) {
        int senderCpu = sender >= 0 && sender < MAX_THREADS ? lastCpu.getOpaque((int) sender) : -1;
        if (senderCpu >= 0 && senderCpu != cpu) {
            FlightEvents.XpIpc e = new FlightEvents.XpIpc();
            if (e.isEnabled()) {
                e.cpu = cpu;
                e.cycles = time;
                e.receiver = receiver;
                e.sender = sender;
                e.senderCpu = senderCpu;
                e.commit();
            }
        } else {
            FlightEvents.Ipc e = new FlightEvents.Ipc();
            if (e.isEnabled()) {
                e.cpu = cpu;
                e.cycles = time;
                e.receiver = receiver;
                e.sender = sender;
                e.commit();
            }
        }
    }

    private void switchTo(int cpu, long time, long thread) {
        if (thread < 0 || thread >= MAX_THREADS) {
            return;
        }
        int before = lastCpu.getOpaque((int) thread);
        lastCpu.setOpaque((int) thread, cpu);
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
