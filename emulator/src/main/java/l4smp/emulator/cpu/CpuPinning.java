package l4smp.emulator.cpu;

import net.openhft.affinity.Affinity;

import java.util.BitSet;

/**
 * Pins the calling host thread to a host core with OpenHFT's affinity library: simulated CPU
 * i runs on the i-th (mod H) core the process may use. Where the host forbids pinning (a
 * container without the right, a platform the library does not support) the result says why,
 * and the machine logs it as a warning and runs on unpinned.
 */
public final class CpuPinning {

    private CpuPinning() {
    }

    /** The host cores the process may run on now, in ascending order. */
    public static int[] allowedHostCores() {
        try {
            BitSet set = Affinity.getAffinity();
            if (set != null && set.cardinality() > 0) {
                return set.stream().toArray();
            }
        } catch (Throwable ignored) {
            // fall back to the processor count
        }
        int n = Runtime.getRuntime().availableProcessors();
        int[] cores = new int[n];
        for (int i = 0; i < n; i++) {
            cores[i] = i;
        }
        return cores;
    }

    /**
     * Pins the calling thread to {@code cores[cpuIndex % cores.length]}. Returns {@code null} on
     * success, else the reason it failed.
     */
    public static String pinCurrentThread(int cpuIndex, int[] cores) {
        if (cores.length == 0) {
            return "no host cores are known";
        }
        int core = cores[cpuIndex % cores.length];
        try {
            BitSet mask = new BitSet();
            mask.set(core);
            Affinity.setAffinity(mask);
            BitSet now = Affinity.getAffinity();
            if (now != null && !(now.cardinality() == 1 && now.get(core))) {
                return "the host kept affinity " + now + " instead of core " + core;
            }
            return null;
        } catch (Throwable t) {
            return t.getClass().getSimpleName() + ": " + t.getMessage();
        }
    }
}
