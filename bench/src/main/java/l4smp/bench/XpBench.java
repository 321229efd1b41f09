package l4smp.bench;

import l4smp.bench.reproduce.XpIpcExperiments;
import l4smp.bench.runner.SpreadVerdict;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.cache.MemoryEvent;
import l4smp.emulator.cost.CostModel;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelStatistics;
import l4smp.kernel.KernelConfig;
import org.jctools.queues.SpscArrayQueue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The cross-processor round trip (a call from CPU 0 to a server on CPU 1 and its reply, thesis
 * 8.3.5): in simulated cycles on a deterministic machine, with where the cycles go, and in host
 * nanoseconds on a parallel machine against a raw baseline measured in the same run (two host
 * threads spinning, bouncing a value through two JCTools SPSC queues).
 *
 * <p>{@link #measure} is what a command line calls; {@link #main} prints it.
 */
public final class XpBench {

    private XpBench() {
    }

    /**
     * The figures.
     *
     * @param cyclesPerRoundTrip simulated cycles of one round trip, as the client measures it
     * @param breakdown          simulated cycles per round trip by part (summed over both CPUs;
     *                           parts overlap the IPI latency, which is on the critical path)
     * @param hostNanosMedian    median host nanoseconds of one round trip (parallel machine)
     * @param baselineNanosMedian median host nanoseconds of an SPSC ping-pong round trip
     * @param offVsBaseline      accounting off against the baseline, run by interleaved run
     * @param onVsOff            accounting on against off, run by interleaved run
     */
    public record Result(double cyclesPerRoundTrip, Map<String, Double> breakdown, double hostNanosMedian,
                         double baselineNanosMedian, double hostNanosAccountingOffMedian,
                         SpreadVerdict offVsBaseline, SpreadVerdict onVsOff) {

        /** Host time with the accounting layer on (the default machine), against the baseline. */
        public double hostRatio() {
            return hostNanosMedian / baselineNanosMedian;
        }

        /** Host time of the execution core alone (accounting off), against the baseline. */
        public double hostRatioAccountingOff() {
            return hostNanosAccountingOffMedian / baselineNanosMedian;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("XP round trip: %.0f simulated cycles%n", cyclesPerRoundTrip));
            breakdown.forEach((k, v) -> sb.append(String.format("  %-44s %8.1f%n", k, v)));
            sb.append(String.format(java.util.Locale.ROOT, "host, median of %d interleaved runs: baseline SPSC ping-pong %.0f ns;"
                            + " XP round trip %.0f ns with accounting off, %.0f ns with accounting on%n",
                    HOST_RUNS, baselineNanosMedian, hostNanosAccountingOffMedian, hostNanosMedian));
            sb.append(String.format(java.util.Locale.ROOT, "  accounting off vs SPSC: %s%n",
                    offVsBaseline.describe(GOAL_OFF_VS_SPSC)));
            sb.append(String.format(java.util.Locale.ROOT, "  accounting on vs off:   %s%n", onVsOff.describe(GOAL_ON_VS_OFF)));
            double misses = breakdown.getOrDefault(COHERENCE_MISSES, 0.0);
            sb.append(String.format("  (the thesis's protocol moves %.0f cache lines between the CPUs per round trip, and"
                    + " the host moves them too; the baseline moves one queue slot each way)%n", misses));
            return sb.toString();
        }
    }

    /** Host measurements per figure (the median and the range are reported). */
    public static final int HOST_RUNS = 5;

    /** The goal for the XP round trip with the accounting layer on against off. */
    public static final double GOAL_ON_VS_OFF = 1.2;

    /**
     * The goal for the XP round trip with the accounting layer off against the SPSC ping-pong:
     * no worse than the 10.7 measured before (the protocol moves its cache lines between the
     * host's cores too, which the baseline's one queue slot each way does not).
     */
    public static final double GOAL_OFF_VS_SPSC = 10.7;

    /** The breakdown's key of the simulated coherence misses per round trip. */
    public static final String COHERENCE_MISSES = "coherence misses per round trip";

    /** Measures with {@code rounds} round trips (simulated) and {@code hostRounds} (host time). */
    public static Result measure(CostModel model, int rounds, int hostRounds) {
        int warmup = 10;
        XpIpcExperiments.XpRun run = XpIpcExperiments.crossPingPong(model, KernelConfig.DEFAULT, rounds, warmup);
        Machine m = run.machine();
        Kernel k = run.kernel();
        int trips = rounds + warmup;
        long[] parts = new long[KernelStatistics.XP_PARTS];
        for (int c = 0; c < m.cpuCount(); c++) {
            long[] p = k.statistics().xpCycles(c);
            for (int i = 0; i < parts.length; i++) {
                parts[i] += p[i];
            }
        }
        Map<String, Double> b = new LinkedHashMap<>();
        double ipis = (double) m.counterTotal(Kernel.C_XCPU_IPIS) / trips;
        b.put("XCPU IPIs per round trip", ipis);
        b.put("IPI: ICR write + delivery (critical path)", ipis * (model.ipiIcrWriteCycles() + model.ipiDeliveryCycles()));
        b.put("kernel entries + exits (both CPUs)", (double) m.counterTotal(Kernel.C_TRAPS) / trips
                * (model.kernelEntryCycles() + model.kernelExitCycles()));
        b.put("mailbox: send path (claim, fill, TCB lock, flag)", (double) parts[0] / trips);
        b.put("mailbox: check_n_ack (polls and IPI handlers)", (double) parts[1] / trips);
        b.put("proxy (arrival, activation, wakeup of the sender)", (double) parts[2] / trips);
        b.put("copy (on the receiver's CPU)", (double) parts[3] / trips);
        b.put("XP return (reply mailbox, receive phase)", (double) parts[4] / trips);
        var mem = m.memorySystem();
        var h = model.memory();
        double coherenceCycles = 0;
        long coherenceMisses = 0;
        for (int c = 0; c < m.cpuCount(); c++) {
            coherenceMisses += mem.countOpaque(c, MemoryEvent.COHERENCE_MISSES);
            coherenceCycles += mem.countOpaque(c, MemoryEvent.E_TO_S) * h.eToSCenti() / 100.0
                    + mem.countOpaque(c, MemoryEvent.E_TO_M) * h.eToMCenti() / 100.0
                    + mem.countOpaque(c, MemoryEvent.M_TO_S) * h.mToSCenti() / 100.0
                    + mem.countOpaque(c, MemoryEvent.M_TO_M) * h.mToMCenti() / 100.0
                    + mem.countOpaque(c, MemoryEvent.S_TO_M) * h.sToMCenti() / 100.0;
        }
        b.put(COHERENCE_MISSES, (double) coherenceMisses / trips);
        b.put("coherence transitions, cycles (within the parts)", coherenceCycles / trips);

        double[] on = new double[HOST_RUNS];
        double[] off = new double[HOST_RUNS];
        double[] base = new double[HOST_RUNS];
        for (int i = 0; i < HOST_RUNS; i++) {
            // Interleaved, so that a noisy moment of the host affects all three alike.
            base[i] = spscBaseline(hostRounds + hostRounds / 10, hostRounds / 10);
            off[i] = hostMedian(model, hostRounds, false);
            on[i] = hostMedian(model, hostRounds, true);
        }
        return new Result((double) run.cycles() / rounds, b, median(on), median(base), median(off),
                SpreadVerdict.ofRatios(off, base), SpreadVerdict.ofRatios(on, off));
    }

    /** Median host ns of one XP round trip on a parallel, pinned two-CPU machine. */
    private static double hostMedian(CostModel model, int hostRounds, boolean accounting) {
        XpIpcExperiments.XpRun host = XpIpcExperiments.crossPingPong(
                MachineConfig.builder().cpus(2).costModel(model).pinning(true).accounting(accounting).build(),
                KernelConfig.DEFAULT, hostRounds, hostRounds / 10);
        return median(host.hostNanos());
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

    /** Median ns per round trip of two spinning threads bouncing a value through two SPSC queues. */
    public static double spscBaseline(int total, int warmup) {
        SpscArrayQueue<Long> ping = new SpscArrayQueue<>(64);
        SpscArrayQueue<Long> pong = new SpscArrayQueue<>(64);
        Thread echo = Thread.ofPlatform().daemon(true).start(() -> {
            for (int i = 0; i < total; i++) {
                Long v;
                while ((v = ping.relaxedPoll()) == null) {
                    Thread.onSpinWait();
                }
                while (!pong.relaxedOffer(v + 1)) {
                    Thread.onSpinWait();
                }
            }
        });
        long[] nanos = new long[total - warmup];
        Long boxed = 1L;
        for (int i = 0; i < total; i++) {
            long n0 = System.nanoTime();
            while (!ping.relaxedOffer(boxed)) {
                Thread.onSpinWait();
            }
            Long v;
            while ((v = pong.relaxedPoll()) == null) {
                Thread.onSpinWait();
            }
            long n1 = System.nanoTime();
            boxed = v;
            if (i >= warmup) {
                nanos[i - warmup] = n1 - n0;
            }
        }
        try {
            echo.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return median(nanos);
    }

    private static double median(long[] values) {
        long[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }

}
