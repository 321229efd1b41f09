package l4smp.kernel.thread;

import l4smp.emulator.cpu.Cpu;

/**
 * The CPU's kernel that runs a thread now ({@link Tcb#runningOn}): the thread's own code finds
 * its simulated CPU through it after every trap (a trap may end on another CPU).
 */
public interface ThreadHost {

    /** The simulated CPU of this kernel. */
    Cpu cpu();
}
