package l4smp.emulator.cache;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link SingleWriterSetAssociativeCache#find} answers as a scan of the line's set: the slot
 * holding the line, or -1, for every associativity (four ways take a path of their own), with
 * the line in each way of its set, in no way, and sets partly empty.
 */
class SetAssociativeFindTest {

    @ParameterizedTest(name = "{0} ways")
    @ValueSource(ints = {1, 2, 3, 4, 8})
    void findAnswersAsAScanOfTheSet(int ways) {
        int sets = 16;
        Random random = new Random(ways);
        for (int round = 0; round < 50; round++) {
            SingleWriterSetAssociativeCache cache = new SingleWriterSetAssociativeCache(sets, ways);
            long[] slots = new long[sets * ways];
            java.util.Arrays.fill(slots, SingleWriterSetAssociativeCache.EMPTY);
            Set<Long> placed = new HashSet<>();
            for (int k = 0; k < sets * ways; k++) {
                long line = random.nextInt(sets * ways * 4);
                int set = (int) (line % sets);
                int slot = set * ways + random.nextInt(ways);
                if (placed.contains(line) || random.nextInt(4) == 0) {
                    continue; // a line in at most one way; some ways stay empty
                }
                if (slots[slot] != SingleWriterSetAssociativeCache.EMPTY) {
                    placed.remove(slots[slot]);
                }
                slots[slot] = line;
                placed.add(line);
                cache.fill(slot, line);
            }
            for (long line = 0; line < sets * ways * 4; line++) {
                int expected = -1;
                int set = (int) (line % sets);
                for (int i = set * ways; i < (set + 1) * ways; i++) {
                    if (slots[i] == line) {
                        expected = i;
                    }
                }
                assertEquals(expected, cache.find(line), "line " + line + " in round " + round);
            }
        }
    }
}
