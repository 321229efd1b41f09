package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.user.AnonymousPager;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.thread.ThreadId;

import java.util.ArrayList;
import java.util.List;

/**
 * Long IPC between two address spaces (thesis 2.3, 8.3.2, 8.8.2): a string item copied from the
 * sender's space into the receiver's through a CPU's comm window. {@code --placement local}: both
 * on CPU 0; {@code --placement cross}: the receiver on CPU 1, where the sender's proxy copies
 * (implementation decision 2). The sizes run from
 * 4 bytes by factors of 4 up to {@code --max-bytes} (default: the largest X.2 string, 4 MB - 1),
 * one operation per transfer, in turn; each size has its own histogram ({@code bytes-N}).
 *
 * <p>{@code --faults off}: both buffers are touched before the first transfer, so the copy runs
 * on mapped pages. {@code --faults on}: before every transfer both threads flush their buffers'
 * mappings (unmap with the flush flag), so the copy takes a page fault on each page of both
 * buffers; the kernel sends each to the thread's pager (a user-level pager over sigma0, which
 * answers with the frame it holds, so the data survive), and redoes the copy (8.4.2). The pager
 * runs on CPU 0: across CPUs the receiver's faults are cross-processor calls to it, and the
 * sender's faults, found by the copy on CPU 1, are redone on the sender's CPU 0 (8.4.2).
 */
public final class LongIpcScenario implements Scenario {

    private static final long SEND_BUFFER = 0x0100_0000L;
    private static final long RECEIVE_BUFFER = 0x0200_0000L;

    @Override
    public String name() {
        return "long-ipc";
    }

    @Override
    public String description() {
        return "strings from 4 B to 4 MB between two spaces, on one CPU or across two (--placement, --faults on|off)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.choiceOption("faults", "off", List.of("on", "off"),
                        "page faults in both buffers during each copy"),
                OptionSpec.longOption("max-bytes", TypedItems.MAX_STRING, 4, TypedItems.MAX_STRING,
                        "the largest string (sizes run 4, 16, 64, ... up to it)"),
                OptionSpec.choiceOption("placement", "local", List.of("local", "cross"),
                        "the receiver on the sender's CPU 0 (local) or on CPU 1 (cross; needs 2 CPUs)"));
    }

    static int[] sizes(int max) {
        List<Integer> s = new ArrayList<>();
        for (long n = 4; n <= max; n *= 4) {
            s.add((int) n);
        }
        if (s.get(s.size() - 1) != max) {
            s.add(max); // e.g. 4 MB - 1, the X.2 limit, stands for 4 MB
        }
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public void setup(ScenarioContext context) {
        boolean faults = context.options().getString("faults").equals("on");
        int[] sizes = sizes(context.options().getInt("max-bytes"));
        int max = sizes[sizes.length - 1];
        boolean cross = "cross".equals(context.options().getString("placement"));
        if (cross && context.processors() < 2) {
            throw new IllegalArgumentException("option --placement cross needs at least 2 CPUs (--cpus 2), got "
                    + context.processors());
        }
        Kernel kernel = context.kernel();
        Spaces spaces = kernel.spaces();
        long pagesNeeded = 2L * ((max + 4095) / 4096) + 64;
        if (pagesNeeded > spaces.mappingDatabase().userFrames() / 2) {
            throw new IllegalArgumentException("--max-bytes " + max + " needs " + pagesNeeded
                    + " pages, more than half the user frames of this machine (raise --memory)");
        }
        ThreadId sigma0 = spaces.startSigma0(0);
        ThreadId pager = spaces.createThread(ThreadSpec.daemon("pager", 0, new AnonymousPager(sigma0)),
                spaces.createSpace("pager"), sigma0);
        AddressSpace senderSpace = spaces.createSpace("sender");
        AddressSpace receiverSpace = spaces.createSpace("receiver");
        SingleWriterLatencyRecorder[] recorders = new SingleWriterLatencyRecorder[sizes.length];
        for (int i = 0; i < sizes.length; i++) {
            recorders[i] = context.recorder("bytes-" + sizes[i]);
        }
        long ops = context.ops();
        // Flushing a 4 MB buffer: one flexpage of 2^22 bytes (buffers are 4 MB aligned).
        long flushSend = TypedItems.fpage(SEND_BUFFER, 22, 7);
        long flushReceive = TypedItems.fpage(RECEIVE_BUFFER, 22, 7);
        ThreadId[] ids = new ThreadId[2];
        ids[1] = spaces.createThread(ThreadSpec.of("receiver", cross ? 1 : 0, () -> {
            L4.writeBytes(RECEIVE_BUFFER, new byte[max]); // map the whole buffer once
            long done = 0;
            int tag = 0;
            while (true) {
                if (faults) {
                    L4.unmap(flushReceive, true);
                }
                int size = sizes[(int) (done % sizes.length)];
                L4.setBr(0, TypedItems.ACCEPT_STRINGS);
                L4.setBr(1, TypedItems.stringItem(RECEIVE_BUFFER, size));
                L4.setBr(2, RECEIVE_BUFFER);
                // Ready: tell the sender, and wait for the string, atomically.
                tag = L4.ipc(ids[0], ids[0], MsgTag.make(0, 0), Timeout.NEVER, Timeout.NEVER);
                if (MsgTag.isError(tag)) {
                    throw new IllegalStateException("receive failed: " + IpcError.describe(L4.errorCode()));
                }
                if (MsgTag.label(tag) == 1) {
                    break; // the sender is done
                }
                int round = (int) done;
                if (L4.load(RECEIVE_BUFFER) != round) {
                    throw new IllegalStateException("string of " + size + " bytes: first word wrong");
                }
                long last = RECEIVE_BUFFER + ((size / 4) - 1) * 4L;
                if (L4.load(last) != ~round) {
                    if (size > 4) {
                        throw new IllegalStateException("string of " + size + " bytes: last word wrong");
                    }
                }
                done++;
            }
        }), receiverSpace, pager);
        ids[0] = spaces.createThread(ThreadSpec.of("sender", 0, () -> {
            byte[] fill = new byte[max];
            for (int i = 0; i < max; i++) {
                fill[i] = (byte) (i * 7);
            }
            L4.writeBytes(SEND_BUFFER, fill);
            long done = 0;
            while (!context.shouldStop(done) && done < ops) {
                int k = (int) (done % sizes.length);
                int size = sizes[k];
                L4.store(SEND_BUFFER, (int) done);
                if (size > 4) {
                    L4.store(SEND_BUFFER + ((size / 4) - 1) * 4L, ~(int) done);
                }
                if (faults) {
                    L4.unmap(flushSend, true); // the pager keeps the frames: the data survive
                }
                int tag = L4.receive(ids[1]); // the receiver is ready
                if (MsgTag.isError(tag)) {
                    throw new IllegalStateException("ready message failed: " + IpcError.describe(L4.errorCode()));
                }
                L4.setMr(1, TypedItems.stringItem(SEND_BUFFER, size));
                L4.setMr(2, SEND_BUFFER);
                long c0 = L4.clock();
                long n0 = System.nanoTime();
                tag = L4.send(ids[1], MsgTag.make(0, 0, 2));
                long n1 = System.nanoTime();
                long c1 = L4.clock();
                if (MsgTag.isError(tag)) {
                    throw new IllegalStateException("string of " + size + " bytes failed: "
                            + IpcError.describe(L4.errorCode()));
                }
                recorders[k].record(c1 - c0, n1 - n0);
                done++;
            }
            L4.receive(ids[1]);
            L4.send(ids[1], MsgTag.make(1, 0));
            context.putResult("transfers", done);
        }), senderSpace, pager);
    }
}
