package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The accounting layer against a straightforward model of the same MESI protocol, access by
 * access: random sequences of two or three CPUs over a few lines, with polls (a CPU repeating
 * its previous access's line, as a mailbox flag check does), reads, writes and locked
 * read-modify-writes that make every transition of Table 2, timed and untimed accesses (a
 * timed access that takes a modified line waits for the line's write stamp), and coherence
 * misses on registered ranges laid out as the kernel lays out its objects (a power of two
 * apart, so that they compete for entries of the CPUs' attribution memos), on lines packed
 * into one frame (their directory words and write stamps share host cache lines) and on lines
 * in other frames.
 *
 * <p>The model keeps each line's state as an owner or a sharer set, each CPU's tags as a set,
 * each line's write stamp in a map, and asks the registry for every attribution; the lines are
 * chosen so that no cache set overflows (the model has no LRU: nothing is evicted). After every
 * access the returned cycles, the outcome, the invalidations, every CPU's directory state and
 * the line's write stamp must agree; after the sequence every counter and every attributed count.
 * Each sequence runs in both {@link DirectoryMode}s, so both modes give the same figures.
 */
class CoherenceDifferentialTest {

    private static final CostModel COST = CostModel.PIII_450;
    private static final int LINE = COST.memory().lineBytes();
    private static final long BASE = 0x40_0000;

    /** The straightforward model of the protocol. */
    private static final class Model {
        final int cpus;
        final Map<Long, Integer> owner = new HashMap<>();      // line -> exclusive owner
        final Set<Long> dirty = new HashSet<>();              // lines whose owner holds them M
        final Map<Long, Long> sharers = new HashMap<>();       // line -> sharer mask
        final Map<Long, Long> stamps = new HashMap<>();        // line -> cycle its last timed write completed
        final List<Set<Long>> tags = new ArrayList<>();
        final long[] carry;
        final long[][] counts;
        final long[][] misses;
        final long[][] invalidationsByTag;
        final ConcurrentAttributionRegistry registry;
        AccessOutcome lastOutcome;
        int lastInvalidations;

        Model(int cpus, ConcurrentAttributionRegistry registry) {
            this.cpus = cpus;
            this.registry = registry;
            for (int i = 0; i < cpus; i++) {
                tags.add(new HashSet<>());
            }
            carry = new long[cpus];
            counts = new long[cpus][MemoryEvent.values().length];
            misses = new long[cpus][ConcurrentAttributionRegistry.MAX_TAGS];
            invalidationsByTag = new long[cpus][ConcurrentAttributionRegistry.MAX_TAGS];
        }

        LineState state(long line, int cpu) {
            Integer o = owner.get(line);
            if (o != null) {
                return o != cpu ? LineState.INVALID : dirty.contains(line) ? LineState.MODIFIED : LineState.EXCLUSIVE;
            }
            return ((sharers.getOrDefault(line, 0L) >>> cpu) & 1) != 0 ? LineState.SHARED : LineState.INVALID;
        }

        int centi(AccessOutcome o) {
            return ReferenceCosts.centi(COST.memory(), o);
        }

        void count(int cpu, MemoryEvent e, long n) {
            counts[cpu][e.ordinal()] += n;
        }

        int access(int cpu, long pa, AccessKind kind, long now) {
            long line = pa / LINE;
            boolean write = kind != AccessKind.READ;
            count(cpu, kind == AccessKind.READ ? MemoryEvent.READS
                    : kind == AccessKind.WRITE ? MemoryEvent.WRITES : MemoryEvent.LOCKED_RMWS, 1);
            LineState st = state(line, cpu);
            boolean present = tags.get(cpu).contains(line);
            boolean mine = st != LineState.INVALID;
            AccessOutcome outcome;
            int invalidations = 0;
            if (mine) {
                outcome = present ? AccessOutcome.L1_HIT : AccessOutcome.L2_HIT;
                if (write && st == LineState.EXCLUSIVE) {
                    count(cpu, MemoryEvent.SILENT_E_TO_M, 1);
                    dirty.add(line);
                } else if (write && st == LineState.SHARED) {
                    outcome = AccessOutcome.S_TO_M;
                    invalidations = Long.bitCount(sharers.get(line)) - 1;
                    sharers.remove(line);
                    owner.put(line, cpu);
                    dirty.add(line);
                }
            } else {
                Integer o = owner.get(line);
                long sh = sharers.getOrDefault(line, 0L);
                if (o == null && sh == 0) {
                    outcome = AccessOutcome.MEMORY;
                    owner.put(line, cpu);
                    if (write) {
                        dirty.add(line);
                    } else {
                        dirty.remove(line);
                    }
                } else if (o != null) {
                    boolean wasDirty = dirty.contains(line);
                    if (write) {
                        outcome = wasDirty ? AccessOutcome.M_TO_M : AccessOutcome.E_TO_M;
                        invalidations = 1;
                        owner.put(line, cpu);
                        dirty.add(line);
                    } else {
                        outcome = wasDirty ? AccessOutcome.M_TO_S : AccessOutcome.E_TO_S;
                        owner.remove(line);
                        dirty.remove(line);
                        sharers.put(line, (1L << o) | (1L << cpu));
                    }
                } else if (write) {
                    outcome = AccessOutcome.S_TO_M;
                    invalidations = Long.bitCount(sh);
                    sharers.remove(line);
                    owner.put(line, cpu);
                    dirty.add(line);
                } else {
                    outcome = AccessOutcome.S_TO_S;
                    sharers.put(line, sh | (1L << cpu));
                }
            }
            tags.get(cpu).add(line);
            boolean stale = present && !mine;
            count(cpu, mine ? (present ? MemoryEvent.L1_HITS : MemoryEvent.L2_HITS) : MemoryEvent.MEMORY_FILLS, 1);
            if (outcome.isCoherenceTransition()) {
                count(cpu, MemoryEvent.valueOf(outcome.name()), 1);
            }
            count(cpu, MemoryEvent.INVALIDATIONS_SENT, invalidations);
            if (outcome == AccessOutcome.M_TO_S || outcome == AccessOutcome.M_TO_M) {
                count(cpu, MemoryEvent.SNOOP_WRITEBACKS, 1);
            }
            if (stale) {
                count(cpu, MemoryEvent.INVALIDATED_COPY_MISSES, 1);
            }
            int centi = centi(outcome);
            if (kind == AccessKind.LOCKED_RMW) {
                count(cpu, MemoryEvent.BUS_LOCKS, 1);
                centi += COST.memory().busLockCenti();
            }
            if (stale || outcome.isCoherenceTransition()) {
                count(cpu, MemoryEvent.COHERENCE_MISSES, 1);
                int tag = registry.tagOfAcquire(pa);
                misses[cpu][tag]++;
                invalidationsByTag[cpu][tag] += invalidations;
            }
            count(cpu, MemoryEvent.CENTICYCLES, centi);
            long sum = carry[cpu] + centi;
            int cycles = (int) (sum / 100);
            carry[cpu] = sum % 100;
            if (now != MemorySystem.UNTIMED) {
                if (outcome == AccessOutcome.M_TO_S || outcome == AccessOutcome.M_TO_M) {
                    long written = stamps.getOrDefault(line, 0L);
                    if (written > now) {
                        cycles += (int) (written - now);
                    }
                }
                if (write) {
                    stamps.put(line, now + cycles);
                }
            }
            lastOutcome = outcome;
            lastInvalidations = invalidations;
            return cycles;
        }
    }

    /**
     * The lines of the sequences: four packed into the first 128 bytes of one frame (their
     * directory words and stamps in one or two host lines), the first lines of four objects 2 KB
     * apart (the mailboxes' spacing), and lines in frames 1 and 64 frames away; at most two per
     * L1 set, so nothing is evicted.
     */
    private static long[] lines() {
        long[] frames = {BASE, BASE + 0x800, BASE + 0x1000, BASE + 0x1800, BASE + 0x40_000};
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            out.add(BASE + (long) i * LINE);
        }
        for (int f = 1; f < frames.length; f++) {
            out.add(frames[f]);
            out.add(frames[f] + 5L * LINE);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    static List<Arguments> seedsAndModes() {
        List<Arguments> out = new ArrayList<>();
        for (int seed = 1; seed <= 6; seed++) {
            for (DirectoryMode mode : DirectoryMode.values()) {
                out.add(Arguments.of(seed, mode));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "seed {0} {1}")
    @MethodSource("seedsAndModes")
    void everyAccessIsClassifiedAsTheStraightforwardModelClassifiesIt(int seed, DirectoryMode mode) {
        Random rnd = new Random(seed);
        int cpus = 2 + seed % 2;
        ConcurrentAttributionRegistry registry = new ConcurrentAttributionRegistry();
        MemorySystem m = new MemorySystem(COST, cpus, new PhysicalMemory(16L << 20), registry, mode);
        assertEquals(mode, m.directoryMode());
        Model model = new Model(cpus, registry);
        // Objects 2 KB apart, each its own tag; the packed lines split over two tags and a gap.
        registry.register(BASE, 2 * LINE, "packed-a");
        registry.register(BASE + 3L * LINE, LINE, "packed-b");
        registry.register(BASE + 0x800, 0x800, "object-1");
        registry.register(BASE + 0x1000, 0x800, "object-2");
        registry.register(BASE + 0x1800, 0x400, "object-3");
        long[] lines = lines();
        long[] clock = new long[cpus];
        int previousCpu = 0;
        long previousLine = lines[0];
        for (int step = 0; step < 4000; step++) {
            int cpu;
            long line;
            if (rnd.nextInt(10) < 4) {
                cpu = previousCpu;                              // a poll: the same line again
                line = previousLine;
            } else {
                cpu = rnd.nextInt(cpus);
                line = lines[rnd.nextInt(lines.length)];
            }
            int r = rnd.nextInt(10);
            AccessKind kind = r < 6 ? AccessKind.READ : r < 9 ? AccessKind.WRITE : AccessKind.LOCKED_RMW;
            long pa = line + 4L * rnd.nextInt(LINE / 4);
            // The CPUs' clocks drift apart, so that a stamp is sometimes ahead of its reader.
            clock[cpu] += rnd.nextInt(3) == 0 ? rnd.nextInt(200) : 0;
            long now = rnd.nextInt(8) == 0 ? MemorySystem.UNTIMED : clock[cpu];
            String where = "seed " + seed + " step " + step + ": CPU " + cpu + " " + kind + " 0x" + Long.toHexString(pa);
            int expected = model.access(cpu, pa, kind, now);
            int actual = m.accessAt(cpu, pa, kind, now);
            assertEquals(model.lastOutcome, m.lastOutcomePlain(cpu), where + ": outcome");
            assertEquals(expected, actual, where + ": cycles");
            assertEquals(model.lastInvalidations, m.lastInvalidationsPlain(cpu), where + ": invalidations");
            for (int c = 0; c < cpus; c++) {
                assertEquals(model.state(line / LINE, c), m.stateAcquire(c, pa), where + ": state of CPU " + c);
            }
            assertEquals((long) model.stamps.getOrDefault(line / LINE, 0L), m.directory().stampAcquire(line / LINE),
                    where + ": write stamp");
            if (now != MemorySystem.UNTIMED) {
                clock[cpu] += actual;
            }
            if (step == 2000) {
                // A range registered over lines attributed untagged so far.
                registry.register(BASE + 2L * LINE, LINE, "late");
            }
            previousCpu = cpu;
            previousLine = line;
        }
        for (int c = 0; c < cpus; c++) {
            for (MemoryEvent e : MemoryEvent.values()) {
                // (one thread: no CAS is retried; the lines fit: nothing is evicted)
                assertEquals(model.counts[c][e.ordinal()], m.countOpaque(c, e), "seed " + seed + ": CPU " + c + " " + e);
            }
            for (int tag = 0; tag < ConcurrentAttributionRegistry.MAX_TAGS; tag++) {
                assertEquals(model.misses[c][tag], m.attributedCoherenceMissesOpaque(c, tag),
                        "seed " + seed + ": CPU " + c + " misses of tag " + tag);
                assertEquals(model.invalidationsByTag[c][tag], m.attributedInvalidationsOpaque(c, tag),
                        "seed " + seed + ": CPU " + c + " invalidations of tag " + tag);
            }
        }
        m.checkInvariants().orThrow();
    }
}
