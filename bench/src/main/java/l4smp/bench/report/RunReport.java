package l4smp.bench.report;

import l4smp.emulator.Machine;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.trace.EventLog;
import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Map;

/**
 * What one scenario run produced, taken from the machine after it stopped: the outcome, every
 * CPU's clock and counters, the latency histograms (per recorder and merged), the kernel's and
 * the scenario's results, and the trace's hash (plus its events when captured).
 *
 * <p>Immutable after construction (the histograms are the recorders' own, read-only from here
 * on; the machine's stop is the happens-before edge to the user threads that wrote them).
 *
 * @param scenario        the scenario's name
 * @param options         the scenario's option values (given or default), in declaration order
 * @param cpus            the simulated CPUs
 * @param opsRequested    the operation budget ({@code --ops})
 * @param secondsBudget   the host-time budget in seconds ({@code --seconds}), or {@code null}
 * @param seed            the deterministic seed, or {@code null} in parallel mode
 * @param strategy        the deterministic strategy's name, or {@code null} in parallel mode
 * @param pin             whether pinning was asked for
 * @param slackCycles     the slack ({@link l4smp.emulator.MachineConfig#UNBOUNDED_SLACK} = none)
 * @param costModel       the cost model
 * @param outcome         the machine's outcome
 * @param clocks          every CPU's final clock, in cycles
 * @param counterNames    the counters' names, in index order
 * @param perCpuCounters  [cpu][counter] values
 * @param recorders       one summary per recorder
 * @param cycles          all recorders' simulated-cycle histograms merged
 * @param hostNanos       all recorders' host-nanosecond histograms merged
 * @param kernelFailures  reports of user threads that threw (empty without a kernel)
 * @param results         the scenario's own results
 * @param traceHash       the trace's hash ({@link Machine#traceHash()})
 * @param traceEvents     the events traced (captured or only hashed)
 * @param eventLogs       the machine's event logs (their events when the trace was captured)
 * @param timeUp          whether the host-time budget ran out before the operations were done
 * @param spec            the run's specification, every option as given (for the JSON report and
 *                        its replay)
 * @param accountingOn    whether the MESI/TLB accounting layer charged memory accesses (the
 *                        specification's choice, or the machine's default for its CPUs)
 * @param threadNames     the names of the kernel's user threads by thread number (every one
 *                        the run created, those that ended before it included), for traces
 * @param traceSpool      the captured trace's events when {@code --trace} spooled them to
 *                        temporary files, or {@code null} (its owner closes it)
 * @param timing          the interactions performed out of simulated-time order (lax timing)
 */
public record RunReport(String scenario, Map<String, Object> options, int cpus, long opsRequested,
                        Double secondsBudget, Long seed, String strategy, boolean pin, long slackCycles,
                        CostModel costModel, Machine.RunOutcome outcome, long[] clocks,
                        List<String> counterNames, long[][] perCpuCounters, List<RecorderReport> recorders,
                        Histogram cycles, Histogram hostNanos, List<String> kernelFailures,
                        Map<String, Object> results, long traceHash, long traceEvents, List<EventLog> eventLogs,
                        boolean timeUp, l4smp.bench.runner.RunSpec spec, boolean accountingOn,
                        Map<Integer, String> threadNames, TraceSpool traceSpool, Timing timing) {

    /**
     * How the run kept simulated time: the interactions performed out of simulated-time order
     * (an interleaving point passed while a CPU that could still act before it was behind) and
     * the largest lead, in cycles, one of them had. Both 0 in deterministic mode and with exact
     * timing.
     */
    public record Timing(long corrections, long largestCorrection) {
        /** Whether every interaction happened in simulated-time order. */
        public boolean exact() {
            return corrections == 0;
        }
    }

    /** The timing mode of the run: "exact" or "lax" (a seeded run is always exact). */
    public String timingMode() {
        return spec.deterministic() ? "exact" : spec.timing().label();
    }

    /** One recorder's share of the run. */
    public record RecorderReport(String name, long operations, Histogram cycles, Histogram hostNanos) {
        public LatencySummary cyclesSummary() {
            return LatencySummary.of(cycles);
        }

        public LatencySummary hostNanosSummary() {
            return LatencySummary.of(hostNanos);
        }
    }

    /** The machine's stop reason of a run stopped by a signal (followed by the signal's name). */
    public static final String STOP_INTERRUPTED = "interrupted";
    /** The machine's stop reason of a run stopped for want of progress (a watchdog). */
    public static final String STOP_STALLED = "stalled";
    /** The result under which a scenario says why its run is degraded ({@code ScenarioContext.degraded}). */
    public static final String RESULT_DEGRADED = "degraded";
    /** The result of a stalled run: per CPU, what its threads wait for. */
    public static final String RESULT_WAITS = "waits";

    /**
     * The run's outcome in one word: "interrupted" (a signal stopped it; what ran is reported),
     * "stalled" (no operation completed for the stall limit of simulated cycles), "failed" (the
     * machine failed, a user thread threw or a check failed), "degraded" (it ran, but could not
     * do the work asked for: see the {@value #RESULT_DEGRADED} result), or "ok".
     */
    public String outcomeName() {
        String reason = outcome.stopReason() == null ? "" : outcome.stopReason();
        if (reason.startsWith(STOP_INTERRUPTED)) {
            return "interrupted";
        }
        if (reason.startsWith(STOP_STALLED)) {
            return "stalled";
        }
        if (!ok()) {
            return "failed";
        }
        return results.containsKey(RESULT_DEGRADED) ? "degraded" : "ok";
    }

    /** The name of thread {@code number} with its number ("client (7)"), or "thread N" when unknown. */
    public String threadName(long number) {
        String name = threadNames.get((int) number);
        return name == null ? "thread " + number : name + " (" + number + ")";
    }

    /** Whether the run succeeded: the machine's outcome is ok and no user thread threw. */
    public boolean ok() {
        return outcome.ok() && kernelFailures.isEmpty();
    }

    public String mode() {
        return seed == null ? "parallel" : "deterministic";
    }

    /** The operations performed (summed over every recorder). */
    public long operations() {
        long sum = 0;
        for (RecorderReport r : recorders) {
            sum += r.operations();
        }
        return sum;
    }

    /** The host time the machine ran, in seconds. */
    public double hostSeconds() {
        return outcome.hostNanos() / 1e9;
    }

    /** The highest CPU clock: the simulated length of the run, in cycles. */
    public long simulatedCycles() {
        long max = 0;
        for (long c : clocks) {
            max = Math.max(max, c);
        }
        return max;
    }

    /** The simulated length of the run in seconds, on the cost model's clock. */
    public double simulatedSeconds() {
        return simulatedCycles() / (costModel.clockMhz() * 1e6);
    }

    /** Operations per host second. */
    public double throughputPerHostSecond() {
        double s = hostSeconds();
        return s > 0 ? operations() / s : 0.0;
    }

    /** Operations per simulated second (0 when no simulated time passed). */
    public double throughputPerSimulatedSecond() {
        double s = simulatedSeconds();
        return s > 0 ? operations() / s : 0.0;
    }

    public LatencySummary cyclesSummary() {
        return LatencySummary.of(cycles);
    }

    public LatencySummary hostNanosSummary() {
        return LatencySummary.of(hostNanos);
    }

    /** A counter's value on one CPU. */
    public long counter(int cpu, String name) {
        int i = counterNames.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no counter named '" + name + "' (known: " + counterNames + ")");
        }
        return perCpuCounters[cpu][i];
    }

    /** A counter summed over every CPU. */
    public long counterTotal(String name) {
        long sum = 0;
        for (int cpu = 0; cpu < cpus; cpu++) {
            sum += counter(cpu, name);
        }
        return sum;
    }

    /** Every counter summed over every CPU, in index order. */
    public long[] counterTotals() {
        long[] totals = new long[counterNames.size()];
        for (long[] row : perCpuCounters) {
            for (int i = 0; i < totals.length; i++) {
                totals[i] += row[i];
            }
        }
        return totals;
    }

    /** The trace hash as 16 hex digits. */
    public String traceHashHex() {
        return String.format("%016x", traceHash);
    }
}
