package l4smp.emulator.cpu;

/**
 * A CPU waited longer than the machine allows (host time in parallel mode, spin iterations in
 * deterministic mode) for a condition that never became true: a deadlock or a lost wake-up.
 * The message names the CPU, what it waited for, and the state of every CPU.
 */
public final class CpuStuckException extends RuntimeException {
    public CpuStuckException(String message) {
        super(message);
    }
}
