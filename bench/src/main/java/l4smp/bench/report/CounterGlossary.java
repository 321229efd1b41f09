package l4smp.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every counter of a run means: its unit and a one-line explanation, grouped by the
 * subsystem its name starts with ({@code kernel.}, {@code ipc.}, {@code mem.}, ...). Counters
 * are per CPU (the CPU that did the work) and summed for the totals. {@code l4smp counters}
 * prints this; the text report groups counters in this order.
 *
 * <p>Immutable; any thread.
 */
public final class CounterGlossary {

    /** One counter: its name, unit and meaning. */
    public record Entry(String name, String unit, String meaning) {
        /** The subsystem: the name's part before the first dot. */
        public String group() {
            int dot = name.indexOf('.');
            return dot < 0 ? name : name.substring(0, dot);
        }
    }

    /** The subsystems in report order, each with what it covers. */
    public static final Map<String, String> GROUPS = groups();

    private static final Map<String, Entry> ENTRIES = entries();

    private CounterGlossary() {
    }

    /** The entry of {@code name}, or {@code null} when the glossary lacks it. */
    public static Entry of(String name) {
        return ENTRIES.get(name);
    }

    /** Every entry, grouped in report order. */
    public static List<Entry> all() {
        return List.copyOf(ENTRIES.values());
    }

    /** The position of a counter's subsystem in report order (unknown subsystems last). */
    public static int groupRank(String name) {
        int dot = name.indexOf('.');
        String g = dot < 0 ? name : name.substring(0, dot);
        int i = 0;
        for (String k : GROUPS.keySet()) {
            if (k.equals(g)) {
                return i;
            }
            i++;
        }
        return i;
    }

    /** The glossary as text lines: a heading per subsystem, then name, unit and meaning. */
    public static List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("Counters are per CPU (the CPU that did the work); reports also sum them over every CPU.");
        String group = null;
        for (Entry e : ENTRIES.values()) {
            if (!e.group().equals(group)) {
                group = e.group();
                out.add("");
                out.add(group + ": " + GROUPS.get(group));
            }
            out.add(String.format("  %-34s %-12s %s", e.name(), e.unit(), e.meaning()));
        }
        return out;
    }

    private static Map<String, String> groups() {
        Map<String, String> g = new LinkedHashMap<>();
        g.put("kernel", "kernel entries, thread switches and the timer");
        g.put("sched", "the per-CPU scheduler");
        g.put("ipc", "IPC paths");
        g.put("xcpu", "cross-processor requests through XCPU mailboxes (thesis 8.3.4, 8.4)");
        g.put("thread", "user threads");
        g.put("irq", "device interrupts delivered as IPC (thesis 2.4)");
        g.put("fpu", "lazy FPU switching");
        g.put("space", "address spaces, page faults and mappings (thesis 8.8)");
        g.put("tlb", "TLB shootdown on unmap (thesis 9.3)");
        g.put("boot", "the SMP boot (thesis 8.2)");
        g.put("ipi", "inter-processor interrupts at the local APICs");
        g.put("cpu", "the simulated CPUs' dispatcher loops");
        g.put("mem", "the MESI/TLB accounting layer: every simulated memory access (with --accounting on)");
        return g;
    }

    private static Map<String, Entry> entries() {
        Map<String, Entry> m = new LinkedHashMap<>();
        add(m, "kernel.traps", "entries", "kernel entries: system calls, page faults and interrupts taken by a thread");
        add(m, "kernel.thread_switches", "switches", "switches from one thread (or idle) to another on this CPU");
        add(m, "kernel.timer_ticks", "ticks", "timer interrupts taken while a thread ran (--tick-us)");
        add(m, "sched.timeslice_ends", "events", "timeslices that ran out, the thread put at the end of its list");
        add(m, "ipc.local", "messages", "IPCs between two threads on this CPU (a call and its reply are two)");
        add(m, "ipc.xcpu", "messages", "IPCs that crossed processors, counted on the receiver's CPU where the copy ran");
        add(m, "ipc.errors", "IPCs", "IPC operations that ended with an error code (timeout, cancel, abort, ...)");
        add(m, "ipc.map_items", "items", "map and grant items validated and passed on");
        add(m, "ipc.xfer_page_faults", "faults", "page faults during a long (string) transfer (thesis 8.4.2)");
        add(m, "xcpu.found_by_polling", "requests", "requests found by the mailbox check at a kernel exit or timer tick");
        add(m, "xcpu.found_by_ipi", "requests", "requests found by the XCPU IPI's handler");
        add(m, "xcpu.found_by_receive", "requests", "requests found by a receive path's check before it waits");
        add(m, "xcpu.ipis_sent", "IPIs", "XCPU IPIs sent to trigger a destination's mailbox check");
        add(m, "xcpu.ipis_saved", "triggers", "triggers that needed no IPI (next check soon, receiver not waiting, one pending)");
        add(m, "xcpu.aborted_on_request", "sends", "cross-processor sends aborted on request (send tag bit 12, or X with `--abi x2`; error 7)");
        add(m, "xcpu.mailbox_full_retries", "sends", "sends that found every mailbox to their destination in flight and ran again");
        add(m, "xcpu.replies", "replies", "reply mailboxes consumed (thesis 8.4.1)");
        add(m, "thread.failures", "threads", "user threads that ended by throwing");
        add(m, "irq.delivered", "interrupts", "device interrupts delivered to their handler thread as IPC");
        add(m, "irq.queued_while_in_service", "interrupts", "interrupts raised while the line was still in service, delivered later");
        add(m, "irq.forwarded", "interrupts", "interrupts forwarded to the CPU of their handler thread");
        add(m, "irq.unhandled", "interrupts", "interrupts with no handler attached");
        add(m, "fpu.switches", "switches", "FPU state saved for one thread and restored for another");
        add(m, "fpu.saves_avoided", "switches", "thread switches that left the FPU state alone (lazy switching)");
        add(m, "space.page_faults", "faults", "user page faults sent to the thread's pager as IPC");
        add(m, "space.pages_mapped", "pages", "pages mapped or granted into a space");
        add(m, "space.unmap_calls", "calls", "unmap system calls");
        add(m, "space.switches", "switches", "address-space switches (page-table base reloads)");
        add(m, "tlb.shootdowns", "shootdowns", "unmaps that had to shoot down other CPUs' TLB entries");
        add(m, "tlb.shootdown_ipis_sent", "IPIs", "shootdown IPIs sent");
        add(m, "tlb.shootdown_ipis_saved", "IPIs", "shootdown IPIs not sent: the CPU's current space could not cache the page (--policy current-space)");
        add(m, "tlb.shootdown_entries_flushed", "entries", "TLB entries invalidated by shootdowns");
        add(m, "boot.cycles", "cycles", "the bootstrap processor's cycles from reset to the end of the boot");
        add(m, "boot.ap_cycles", "cycles", "an application processor's cycles from its startup IPI to joining the kernel");
        add(m, "boot.startup_ipis", "IPIs", "INIT and STARTUP IPIs the bootstrap processor sent");
        add(m, "boot.aps_up", "CPUs", "application processors that answered and came up");
        add(m, "boot.aps_masked", "CPUs", "application processors that never answered and were masked out (--fail-cpu)");
        add(m, "ipi.sent", "IPIs", "inter-processor interrupts sent by this CPU (every kind)");
        add(m, "ipi.taken", "IPIs", "inter-processor interrupts this CPU took");
        add(m, "ipi.lint_slot_waits", "waits", "sends that waited for a free LINT slot at the target (two per APIC, thesis 3.3.1)");
        add(m, "cpu.idle_cycles", "cycles", "simulated cycles this CPU spent idle (nothing to run)");
        add(m, "cpu.user_cycles", "cycles", "simulated cycles this CPU ran user threads (kernel exit to the next trap);"
                + " its clock less idle and user cycles is kernel time");
        add(m, "cpu.idle_parks", "parks", "times this CPU's host thread parked while idle or waiting for another CPU's clock (parallel mode; host-dependent)");
        add(m, "cpu.slack_waits", "waits", "times this CPU waited for slower CPUs to catch up (--slack; host-dependent)");
        add(m, "cpu.order_waits", "waits", "times this CPU waited at an interaction for a CPU behind it in simulated time (parallel mode, --timing exact; host-dependent)");
        add(m, "cpu.timing_corrections", "interactions", "interactions this CPU performed while a CPU that could still act before it was behind (parallel mode, --timing lax; 0 when exact)");
        add(m, "cpu.spin_iterations", "iterations", "failed checks of simulated spin-waits (locks, barriers, LINT slots), "
                + "counted in simulated time: a seeded run (lowest clock) and a parallel run count the same checks");
        add(m, "mem.reads", "accesses", "simulated memory reads (user data and the kernel's structures)");
        add(m, "mem.writes", "accesses", "simulated memory writes");
        add(m, "mem.locked_rmws", "accesses", "locked read-modify-writes (xchg, cmpxchg, fetch-and-add)");
        add(m, "mem.l1_hits", "accesses", "accesses served by a valid line in L1");
        add(m, "mem.l2_hits", "accesses", "accesses that missed L1 and were served by L2");
        add(m, "mem.memory_fills", "lines", "lines fetched over the bus, from memory or another CPU's cache");
        add(m, "mem.e_to_s", "transitions", "another CPU's Exclusive line read: both now Shared (Table 2: 63.82 cycles)");
        add(m, "mem.e_to_m", "transitions", "another CPU's Exclusive line written: now Modified here (Table 2: 49.23)");
        add(m, "mem.m_to_s", "transitions", "another CPU's Modified line read: written back, both Shared (Table 2: 89.52)");
        add(m, "mem.m_to_m", "transitions", "another CPU's Modified line written: moved here Modified (Table 2: 89.39)");
        add(m, "mem.s_to_m", "transitions", "a Shared line written: other copies invalidated (Table 2: 49.23)");
        add(m, "mem.s_to_s", "transitions", "a line other CPUs share, read into this CPU's cache");
        add(m, "mem.silent_e_to_m", "transitions", "a write to this CPU's own Exclusive line: Modified without a bus cycle");
        add(m, "mem.invalidations_sent", "lines", "other CPUs' copies this CPU's accesses invalidated");
        add(m, "mem.invalidated_copy_misses", "accesses", "accesses that found this CPU's copy invalidated by another CPU");
        add(m, "mem.coherence_misses", "accesses", "accesses that were coherence transitions or found their copy invalidated");
        add(m, "mem.snoop_writebacks", "lines", "other CPUs' Modified lines written back because this CPU's access snooped them");
        add(m, "mem.eviction_writebacks", "lines", "Modified lines this CPU wrote back when evicting them from L2");
        add(m, "mem.l1_evictions", "lines", "valid lines evicted from L1");
        add(m, "mem.l2_evictions", "lines", "valid lines evicted from L2 (and so from L1: L2 is inclusive)");
        add(m, "mem.bus_locks", "accesses", "locked accesses that locked the bus");
        add(m, "mem.directory_cas_retries", "retries", "MESI directory compare-and-sets that lost a race and retried (host-dependent)");
        add(m, "mem.centicycles", "centicycles", "simulated cycles the accounting layer charged, in 1/100 cycle (divide by 100)");
        add(m, "mem.tlb_hits", "accesses", "translations found in the TLB");
        add(m, "mem.tlb_misses", "accesses", "translations that missed the TLB and walked the page tables");
        add(m, "mem.tlb_flushes", "flushes", "whole-TLB flushes (address-space switch)");
        add(m, "mem.tlb_invalidations", "entries", "single-entry TLB invalidations (invlpg)");
        add(m, "mem.page_walks", "walks", "page-table walks (their reads are accesses too)");
        add(m, "mem.dirty_bit_assists", "walks", "writes through a TLB entry with a clear dirty bit that walked again to set it");
        add(m, "mem.page_faults", "faults", "accesses that found no valid translation and faulted");
        return m;
    }

    private static void add(Map<String, Entry> m, String name, String unit, String meaning) {
        m.put(name, new Entry(name, unit, meaning));
    }
}
