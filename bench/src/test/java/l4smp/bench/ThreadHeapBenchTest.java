package l4smp.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host heap per L4 thread that {@code l4smp bench --what heap} reports stays small enough for
 * 100,000 threads in a 1 GiB heap: a TCB with its 64 message and 34 buffer registers (about
 * 1.2 KiB), a continuation with its first stack chunk, a host-thread identity. The bound (8 KiB)
 * is far above that and far below what one latency histogram per thread cost (tens of KiB).
 */
class ThreadHeapBenchTest {

    @Test
    void heapPerThreadIsBounded() {
        ThreadHeapBench.Result r = ThreadHeapBench.measure(5_000);
        assertTrue(r.bytesPerThreadCreated() > 500, () -> "implausibly small: " + r);
        assertTrue(r.bytesPerThreadRun() >= r.bytesPerThreadCreated() * 0.9, () -> "a run frees TCBs? " + r);
        assertTrue(r.bytesPerThreadRun() < 8192, () -> "too much heap per thread: " + r);
    }
}
