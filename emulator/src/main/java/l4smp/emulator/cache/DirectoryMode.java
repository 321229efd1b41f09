package l4smp.emulator.cache;

/**
 * How the MESI directory ({@link ConcurrentMesiDirectory}) changes a line's state word: the
 * thread contract of a {@link MemorySystem}, fixed when it is built.
 *
 * <p>The classification, the caches, every counter and every cycle are the same in both modes
 * (the accounting tests run the layer in both and compare access by access); only the host
 * instruction that stores a transition differs.
 */
public enum DirectoryMode {

    /**
     * Several host threads may use the layer at once (parallel mode with two or more CPU
     * threads): a transition is a compare-and-set of the line's word (volatile), retried when
     * another CPU's transition came first.
     */
    CONCURRENT,

    /**
     * One host thread at a time uses the layer, and each hand-over from one host thread to
     * another is a happens-before edge (the seeded stepper that runs every CPU, a parallel run
     * of one CPU thread after the setup thread started it, a benchmark loop playing every CPU):
     * a transition is an opaque store of the word the CPU computed from the word it just read,
     * which no other thread can have changed in between. Other threads may still read the
     * directory as they may in {@link #CONCURRENT} mode (a recent, untorn word while the
     * machine runs; exact once it is quiescent).
     */
    SINGLE_WRITER;

    /**
     * The mode of a machine's layer: {@link #SINGLE_WRITER} when every access comes from one host
     * thread (deterministic mode, or a parallel run of one CPU), else {@link #CONCURRENT}.
     *
     * @param deterministic whether one host thread steps every CPU
     * @param cpus          the machine's CPUs (one host thread each in parallel mode)
     */
    public static DirectoryMode forMachine(boolean deterministic, int cpus) {
        return deterministic || cpus == 1 ? SINGLE_WRITER : CONCURRENT;
    }
}
