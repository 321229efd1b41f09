package l4smp.bench.hunt;

import l4smp.bench.report.RunReport;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The seed sweep of {@code l4smp hunt}: runs one command line with seed after seed on
 * {@code jobs} host threads (each run its own machine, its own stepper thread), stops at the
 * first failing seed, and shrinks a failing line.
 *
 * <h2>Which failure is reported</h2>
 * The lowest failing seed of the shard, whatever the number of jobs: when a run fails, no seed
 * after it is started, and the runs of lower seeds in flight finish; the lowest failure wins.
 *
 * <h2>Shrinking</h2>
 * Greedy, one option at a time, with the failing seed: fewer operations ({@code --ops} 1, then
 * halves), fewer CPUs (the scenario's minimum, then one less), smaller counts of the scenario
 * (threads, clients, servers, pairs, pages: the minimum, halves, one less), and fewer chaos
 * actions (options named {@code *period*}: doubled); a change is kept when the run still fails
 * with the same kind of failure. Rounds repeat until none helps or the run budget is spent.
 *
 * <p>Thread contract: {@link #hunt} and {@link #shrink} on one thread; the worker threads only
 * call the {@link LineRunner}, which must be safe to call from several threads at once.
 */
public final class Hunter {

    /** Runs one command line (its seed set) to its report; an exception counts as a failure. */
    @FunctionalInterface
    public interface LineRunner {
        RunReport run(RunLine line);
    }

    /** A failing run: its seed, line, kind of failure and the failure in one line. */
    public record Failure(long seed, RunLine line, String kind, String message) {
    }

    /** A sweep's outcome: the runs done, the first failure (or null), host seconds. */
    public record Sweep(long runs, Failure failure, double seconds) {
    }

    private final LineRunner runner;
    private final int jobs;
    private final Consumer<String> progress;
    private final long runTimeoutNanos;

    /**
     * @param runner   runs a line
     * @param jobs     host threads, at least 1
     * @param progress receives a progress line about every second (seeds/s, done, ETA)
     * @param runTimeoutSeconds host seconds after which a run that has not returned counts as a
     *                 "hang" (an endless loop inside one step, which no step bound catches; its
     *                 thread is left behind as a daemon)
     */
    public Hunter(LineRunner runner, int jobs, Consumer<String> progress, long runTimeoutSeconds) {
        if (jobs < 1) {
            throw new IllegalArgumentException("option --jobs must be at least 1, got " + jobs);
        }
        if (runTimeoutSeconds < 1) {
            throw new IllegalArgumentException("option --run-timeout must be at least 1 s, got " + runTimeoutSeconds);
        }
        this.runner = runner;
        this.jobs = jobs;
        this.progress = progress;
        this.runTimeoutNanos = java.util.concurrent.TimeUnit.SECONDS.toNanos(runTimeoutSeconds);
    }

    /** The kind of failure of a report, or null when the run is ok. */
    public static String failureKind(RunReport r) {
        if (r.ok()) {
            return null;
        }
        String all = (r.outcome().failure() == null ? "" : r.outcome().failure()) + " | "
                + String.join(" | ", r.kernelFailures());
        String low = all.toLowerCase(Locale.ROOT);
        if (low.contains("deadlock")) {
            return "deadlock";
        }
        if (low.contains("stall") || low.contains("stuck") || low.contains(" spun ")) {
            return "stall";
        }
        Throwable cause = r.outcome().failureCause();
        if (cause != null) {
            return "exception:" + cause.getClass().getSimpleName();
        }
        if (low.contains("invariant")) {
            return "invariant";
        }
        if (low.contains("lost") || low.contains("duplicat")) {
            return "lost-or-duplicated";
        }
        return "check";
    }

    /** The failure of a report in one line. */
    public static String failureLine(RunReport r) {
        String f = r.outcome().failure() != null ? r.outcome().failure() : String.join("; ", r.kernelFailures());
        f = f.replace('\n', ' ');
        return f.length() > 400 ? f.substring(0, 400) + "..." : f;
    }

    /** Runs {@code line} and classifies it; null when it passed. */
    Failure attempt(long seed, RunLine line) {
        // Each run on a thread of its own (it is the run's stepper), so that a run stuck in an
        // endless loop inside one step can be given up on.
        java.util.concurrent.FutureTask<RunReport> task = new java.util.concurrent.FutureTask<>(() -> runner.run(line));
        Thread t = new Thread(task, "l4smp-hunt-run-" + seed);
        t.setDaemon(true);
        t.start();
        try {
            RunReport r = task.get(runTimeoutNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            String kind = failureKind(r);
            return kind == null ? null : new Failure(seed, line, kind, failureLine(r));
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            return new Failure(seed, line, "exception:" + c.getClass().getSimpleName(), "the run threw " + c);
        } catch (java.util.concurrent.TimeoutException e) {
            progress.accept("seed " + seed + ": the run did not return within " + runTimeoutNanos / 1_000_000_000L
                    + " s of host time (an endless loop inside one step); its thread is left behind");
            return new Failure(seed, line, "hang", "the run did not return within " + runTimeoutNanos / 1_000_000_000L
                    + " s of host time: an endless loop inside one step of the stepper");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failure(seed, line, "interrupted", "the hunt was interrupted");
        }
    }

    /** Runs the seeds of {@code shard} with {@code base} (whose {@code --seed} it sets). */
    public Sweep hunt(RunLine base, SeedShard shard) {
        long total = shard.size();
        AtomicLong next = new AtomicLong();
        AtomicLong limit = new AtomicLong(total); // index of the lowest failure so far
        AtomicLong done = new AtomicLong();
        ConcurrentHashMap<Long, Failure> failures = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < jobs; w++) {
            Thread t = new Thread(() -> {
                while (true) {
                    long j = next.getAndIncrement();
                    if (j >= limit.get()) {
                        return;
                    }
                    long seed = shard.seed(j);
                    Failure f = attempt(seed, base.with("--seed", Long.toString(seed)));
                    done.incrementAndGet();
                    if (f != null) {
                        failures.put(j, f);
                        limit.accumulateAndGet(j, Math::min);
                    }
                }
            }, "l4smp-hunt-" + w);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
        long lastReport = System.nanoTime();
        for (Thread t : workers) {
            while (t.isAlive()) {
                try {
                    t.join(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    limit.set(0);
                    break;
                }
                long now = System.nanoTime();
                if (now - lastReport >= 1_000_000_000L) {
                    lastReport = now;
                    double s = (now - start) / 1e9;
                    long d = done.get();
                    double rate = d / s;
                    long left = Math.min(limit.get(), total) - d;
                    progress.accept(String.format(Locale.ROOT, "%,d of %,d seeds done, %.1f seeds/s, ETA %s%s", d,
                            total, rate, rate > 0 ? eta(left / rate) : "?",
                            failures.isEmpty() ? "" : " (a failure found; finishing the lower seeds)"));
                }
            }
        }
        Failure first = failures.isEmpty() ? null : failures.get(failures.keySet().stream().min(Long::compare).get());
        return new Sweep(done.get(), first, (System.nanoTime() - start) / 1e9);
    }

    private static String eta(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60) : s + "s";
    }

    /**
     * Shrinks the failing line of {@code failure} for {@code scenario}, with at most
     * {@code budget} runs; returns the smallest line that still fails with the same kind.
     */
    public RunLine shrink(Failure failure, Scenario scenario, long defaultOps, int budget) {
        RunLine best = failure.line();
        int runs = 0;
        boolean progressed = true;
        while (progressed && runs < budget) {
            progressed = false;
            for (Dimension d : dimensions(scenario, defaultOps)) {
                for (String candidate : d.candidates(best)) {
                    if (runs >= budget) {
                        return best;
                    }
                    RunLine line = best.with(d.option, candidate);
                    runs++;
                    Failure f = attempt(failure.seed(), line);
                    if (f != null && f.kind().equals(failure.kind())) {
                        progress.accept("shrink: " + d.option + " " + candidate + " still fails (" + f.kind() + ")");
                        best = line;
                        progressed = true;
                        break;
                    }
                }
            }
        }
        return best;
    }

    /** One option the shrinker reduces, with its bounds and direction. */
    private record Dimension(String option, long current0, long min, long max, boolean grow) {
        List<String> candidates(RunLine line) {
            String v = line.get(option);
            long current = current0;
            if (v != null) {
                try {
                    current = Long.parseLong(v.replace("_", ""));
                } catch (NumberFormatException e) {
                    return List.of();
                }
            }
            List<Long> out = new ArrayList<>();
            if (!grow && current == 0) {
                return List.of(); // 0 means "the scenario chooses": no smaller count to try from it
            }
            if (grow) {
                if (current > 0 && current <= max / 2) {
                    out.add(current * 2);
                }
            } else if (current > min) {
                out.add(min);
                if (current / 2 > min) {
                    out.add(current / 2);
                }
                if (current - 1 > min && current - 1 != current / 2) {
                    out.add(current - 1);
                }
            }
            return out.stream().map(String::valueOf).toList();
        }
    }

    private static List<Dimension> dimensions(Scenario s, long defaultOps) {
        List<Dimension> out = new ArrayList<>();
        out.add(new Dimension("--ops", defaultOps, 1, Long.MAX_VALUE, false));
        out.add(new Dimension("--cpus", s.defaultCpus(), Math.max(1, s.minCpus()), 64, false));
        for (OptionSpec o : s.options()) {
            if (o.type() != OptionSpec.Type.LONG || o.name().equals("stall")) {
                continue;
            }
            long def = Long.parseLong(o.defaultValue());
            boolean period = o.name().contains("period");
            out.add(new Dimension("--" + o.name(), def, Math.max(o.min(), period ? o.min() : 1), o.max(), period));
        }
        return out;
    }
}
