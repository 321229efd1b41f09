package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.emulator.Machine;
import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * IPIs bounced between pairs of CPUs through the local APICs, on the bare emulator (no kernel):
 * CPU 2k sends an IPI to CPU 2k+1, whose handler answers with an IPI back; one operation is one
 * round trip, measured on the initiator from before its ICR write to the entry of its handler
 * for the answer. Handlers pay the kernel entry and exit of the cost model. With an odd CPU
 * count the last CPU idles.
 */
public final class IpiPingPongScenario implements Scenario {

    static final int PING_VECTOR = 0x40;
    static final int PONG_VECTOR = 0x41;

    @Override
    public String name() {
        return "ipi-pingpong";
    }

    @Override
    public String description() {
        return "pairs of CPUs bounce IPIs through the local APICs (emulator level, no kernel)";
    }

    @Override
    public int minCpus() {
        return 2;
    }

    @Override
    public void setup(ScenarioContext context) {
        Machine machine = context.machine();
        int pairs = machine.cpuCount() / 2;
        AtomicInteger running = new AtomicInteger(pairs);
        for (int p = 0; p < pairs; p++) {
            long share = context.ops() / pairs + (p < context.ops() % pairs ? 1 : 0);
            int initiator = 2 * p;
            int responder = 2 * p + 1;
            SingleWriterLatencyRecorder recorder = context.recorder("round-trip cpu" + initiator + "<->cpu" + responder);
            machine.cpu(initiator).install(new Initiator(context, recorder, responder, share, running));
            machine.cpu(responder).install(new Responder(initiator));
        }
        for (int i = 2 * pairs; i < machine.cpuCount(); i++) {
            machine.cpu(i).install(new Responder(-1));
        }
    }

    /** Sends a ping when none is out; records the round trip when the pong arrives. Owner CPU only. */
    static final class Initiator implements Dispatcher {
        private final ScenarioContext context;
        private final SingleWriterLatencyRecorder recorder;
        private final long partnerMask;
        private final long share;
        private final AtomicInteger running;
        private boolean outstanding;
        private boolean finished;
        private long done;
        private long sentCycles;
        private long sentNanos;

        Initiator(ScenarioContext context, SingleWriterLatencyRecorder recorder, int partner, long share,
                  AtomicInteger running) {
            this.context = context;
            this.recorder = recorder;
            this.partnerMask = 1L << partner;
            this.share = share;
            this.running = running;
        }

        @Override
        public int doWork(Cpu cpu) {
            if (outstanding || finished) {
                return 0;
            }
            if (context.shouldStop(done) || done >= share) {
                finished = true;
                if (running.decrementAndGet() == 0) {
                    cpu.machine().requestStop("all round trips done");
                }
                return 0;
            }
            outstanding = true;
            sentCycles = cpu.clock();
            sentNanos = System.nanoTime();
            cpu.sendIpi(partnerMask, PING_VECTOR);
            return 1;
        }

        @Override
        public void onInterrupt(Cpu cpu, Interrupt interrupt) {
            cpu.advance(cpu.cost().kernelEntryCycles());
            if (interrupt.vector() == PONG_VECTOR && outstanding) {
                recorder.record(cpu.clock() - sentCycles, System.nanoTime() - sentNanos);
                outstanding = false;
                done++;
            }
            interrupt.eoi();
            cpu.advance(cpu.cost().kernelExitCycles());
        }

        @Override
        public long nextEvent(Cpu cpu) {
            return NO_EVENT;
        }

        @Override
        public String toString() {
            return "ipi-initiator{done " + done + "/" + share + (outstanding ? ", ping out" : "") + "}";
        }
    }

    /** Answers every ping with a pong. Owner CPU only. */
    static final class Responder implements Dispatcher {
        private final int partner;
        private long answered;

        Responder(int partner) {
            this.partner = partner;
        }

        @Override
        public int doWork(Cpu cpu) {
            return 0;
        }

        @Override
        public void onInterrupt(Cpu cpu, Interrupt interrupt) {
            cpu.advance(cpu.cost().kernelEntryCycles());
            if (interrupt.vector() == PING_VECTOR && partner >= 0) {
                cpu.sendIpi(1L << partner, PONG_VECTOR);
                answered++;
            }
            interrupt.eoi();
            cpu.advance(cpu.cost().kernelExitCycles());
        }

        @Override
        public long nextEvent(Cpu cpu) {
            return NO_EVENT;
        }

        @Override
        public String toString() {
            return "ipi-responder{answered " + answered + "}";
        }
    }
}
