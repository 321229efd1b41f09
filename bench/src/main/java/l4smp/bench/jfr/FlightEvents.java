package l4smp.bench.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The JDK Flight Recorder events of a run ({@code l4smp run --jfr FILE}), made from the
 * machine's trace events as they are recorded ({@link JfrTraceListener}). Each carries the
 * simulated CPU and its clock in cycles; the host time stamp is JFR's own, so a run's events
 * lie beside the host's profile (GC, CPU samples, locks) in JDK Mission Control.
 *
 * <p>Instant events without stack traces; created and committed on the recording CPU's thread.
 */
public final class FlightEvents {

    private FlightEvents() {
    }

    /** The fields every event has. */
    @Category({"l4smp"})
    @StackTrace(false)
    abstract static class SimulatedEvent extends Event {
        @Label("CPU")
        @Description("The simulated CPU the event happened on")
        int cpu;

        @Label("Simulated Cycles")
        @Description("The CPU's simulated clock when the event happened, in cycles")
        long cycles;
    }

    @Name("l4smp.Ipc")
    @Label("IPC")
    @Description("An IPC delivered between two threads on one CPU (thesis 8.3.2)")
    public static final class Ipc extends SimulatedEvent {
        @Label("Receiver")
        long receiver;
        @Label("Sender")
        long sender;
    }

    @Name("l4smp.XpIpc")
    @Label("Cross-Processor IPC")
    @Description("A cross-processor IPC, delivered on this (the receiver's) CPU where the kernel copied it (thesis 8.4.1)")
    public static final class XpIpc extends SimulatedEvent {
        @Label("Receiver")
        long receiver;
        @Label("Sender")
        long sender;
        @Label("Sender's CPU")
        int senderCpu;
    }

    @Name("l4smp.Ipi")
    @Label("IPI Sent")
    @Description("An inter-processor interrupt sent from this CPU")
    public static final class Ipi extends SimulatedEvent {
        @Label("Target CPU")
        int target;
        @Label("Vector")
        int vector;
    }

    @Name("l4smp.IpiTaken")
    @Label("IPI Taken")
    @Description("An inter-processor interrupt this CPU took")
    public static final class IpiTaken extends SimulatedEvent {
        @Label("Sender CPU")
        int sender;
        @Label("Vector")
        int vector;
    }

    @Name("l4smp.Shootdown")
    @Label("TLB Shootdown IPI")
    @Description("A TLB shootdown IPI sent from this CPU on an unmap (thesis 9.3)")
    public static final class Shootdown extends SimulatedEvent {
        @Label("Target CPU")
        int target;
    }

    @Name("l4smp.PageFault")
    @Label("Page Fault")
    @Description("A user thread's page fault entering the kernel (sent to its pager as IPC)")
    public static final class PageFault extends SimulatedEvent {
        @Label("Thread")
        long thread;
    }

    @Name("l4smp.Migration")
    @Label("Migration")
    @Description("A thread switched to on this CPU that last ran on another CPU")
    public static final class Migration extends SimulatedEvent {
        @Label("Thread")
        long thread;
        @Label("From CPU")
        int from;
    }
}
