package l4smp.tests;

import l4smp.tests.jcstress.timing.StandaloneRunState;

/**
 * A run state whose reads are steps of actor 1 (the observer) of a {@link SteppedSchedule}
 * while {@link #schedule} is set: each read of a field a pass over the CPUs reads (the state
 * version, the run state, the next event, the clock, the interrupt flag, the post count) is one
 * step. For the negative controls of the order horizon, the order pass and the spin-wait
 * check's bound (which adds the fields only that pass reads).
 */
class SteppedRunState extends StandaloneRunState {
    SteppedSchedule schedule;

    SteppedRunState(int cpu) {
        super(cpu);
    }

    /** One step of actor 1, while {@link #schedule} is set. */
    final void step() {
        if (schedule != null) {
            schedule.step(1);
        }
    }

    @Override
    public long stateVersionVolatile() {
        step();
        return super.stateVersionVolatile();
    }

    @Override
    public int stateAcquire() {
        step();
        return super.stateAcquire();
    }

    @Override
    public long nextEventAcquire() {
        step();
        return super.nextEventAcquire();
    }

    @Override
    public long clockAcquire() {
        step();
        return super.clockAcquire();
    }

    @Override
    public boolean interruptPendingVolatile() {
        step();
        return super.interruptPendingVolatile();
    }

    @Override
    public long postCountAcquire() {
        step();
        return super.postCountAcquire();
    }
}
