package l4smp.emulator;

/**
 * The PCT scheduler (probabilistic concurrency testing, Burckhardt, Kothari, Musuvathi and
 * Nagarakatte, ASPLOS 2010) over the deterministic stepper's choices.
 *
 * <h2>What a step is</h2>
 * One step is one resumption of a CPU's duty-cycle continuation by the stepper: the CPU runs
 * from one interleaving point to the next. The interleaving points are a kernel path's accesses
 * to shared simulated memory ({@code Cpu.touch}, {@code loadInt}, {@code storeInt} and the locked
 * read-modify-writes: every access of the MESI accounting layer that another CPU can race
 * with), each iteration of a spin-wait, every IPI or device interrupt sent, and going idle.
 * Accesses to a CPU's own data ({@code touchOwn}) and a thread's computation between two kernel
 * entries are inside one step.
 *
 * <h2>The algorithm</h2>
 * At the start of a run each of the n CPUs gets a distinct priority, a random permutation of
 * d .. d + n - 1 (d the depth), and d - 1 change points k_1 .. k_{d-1} are drawn uniformly from
 * the steps 1 .. k (k the step estimate). At every step the stepper runs the runnable CPU with
 * the highest priority; when the step number is k_i, that CPU's priority drops to i (below
 * every initial priority) and the choice is made again. "Runnable" is what the random strategy
 * may choose: a running CPU, or an idle one whose interrupt or timer event is due, within the
 * slack bound of the lowest effective clock. The slack bound keeps a spinning CPU from
 * monopolising the stepper: its spin iterations advance its clock until it leaves the window
 * and a lower-priority CPU runs (the role of the paper's "a thread that yields is lowered").
 *
 * <h2>The guarantee</h2>
 * A bug of depth d (d ordering constraints between steps must hold for it to show) is found in
 * one run with probability at least 1 / (n * k^(d-1)), for a run of at most k steps, among the
 * schedules the slack bound allows. Runs with different seeds are independent trials.
 *
 * <p>Its own random source, derived from the seed, leaves the machine's generator (which the
 * other strategies and the workloads draw from) untouched. Not thread-safe: the stepper owns it.
 */
public final class PctSchedule {

    /** Mixed into the seed so that PCT's draws are independent of the machine's generator. */
    private static final long SALT = 0x5043_5453_4348_4544L;

    private final int[] priority;
    private final long[] changePoints;
    private long steps;

    /**
     * @param seed   the run's seed
     * @param cpus   n, the CPUs
     * @param depth  d, the bug depth targeted (d - 1 change points), at least 1
     * @param k      the step estimate, at least 1
     */
    public PctSchedule(long seed, int cpus, int depth, long k) {
        if (depth < 1 || k < 1 || cpus < 1) {
            throw new IllegalArgumentException("PCT needs depth >= 1, steps >= 1 and cpus >= 1");
        }
        DeterministicRandom r = new DeterministicRandom(seed ^ SALT);
        priority = new int[cpus];
        for (int i = 0; i < cpus; i++) {
            priority[i] = depth + i;
        }
        for (int i = cpus - 1; i > 0; i--) { // Fisher-Yates
            int j = r.nextInt(i + 1);
            int t = priority[i];
            priority[i] = priority[j];
            priority[j] = t;
        }
        changePoints = new long[depth - 1];
        for (int i = 0; i < changePoints.length; i++) {
            changePoints[i] = 1 + Math.floorMod(r.nextLong(), k);
        }
    }

    /**
     * The step's choice among the CPUs with {@code eligible[i]}: the highest priority, after a
     * change point at this step lowered the first choice. Counts the step.
     */
    public int pick(boolean[] eligible) {
        steps++;
        int chosen = highest(eligible);
        for (int i = 0; i < changePoints.length; i++) {
            if (changePoints[i] == steps) {
                priority[chosen] = i + 1;
                chosen = highest(eligible);
            }
        }
        return chosen;
    }

    private int highest(boolean[] eligible) {
        int best = -1;
        for (int i = 0; i < priority.length; i++) {
            if (eligible[i] && (best < 0 || priority[i] > priority[best])) {
                best = i;
            }
        }
        if (best < 0) {
            throw new IllegalStateException("no eligible CPU");
        }
        return best;
    }

    /** The steps taken so far. */
    public long steps() {
        return steps;
    }

    /** The current priority of CPU {@code cpu} (tests, reports). */
    public int priority(int cpu) {
        return priority[cpu];
    }
}
