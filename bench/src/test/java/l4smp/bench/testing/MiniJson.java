package l4smp.bench.testing;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Map;

/**
 * Strict JSON parsing for tests (Jackson, failing on trailing tokens and duplicate keys):
 * objects to maps, arrays to lists, whole numbers to Long; and a dotted-path accessor.
 */
public final class MiniJson {

    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private MiniJson() {
    }

    public static Object parse(String text) {
        try {
            return STRICT.readValue(text, Object.class);
        } catch (IOException e) {
            throw new AssertionError("invalid JSON: " + e.getMessage(), e);
        }
    }

    /** The value at a dotted path of object keys ({@code "latency.cycles.p50"}). */
    @SuppressWarnings("unchecked")
    public static Object at(Object root, String path) {
        Object cur = root;
        for (String key : path.split("\\.")) {
            if (!(cur instanceof Map)) {
                throw new AssertionError("no object at '" + key + "' of " + path);
            }
            Map<String, Object> m = (Map<String, Object>) cur;
            if (!m.containsKey(key)) {
                throw new AssertionError("no key '" + key + "' (of " + path + ") in " + m.keySet());
            }
            cur = m.get(key);
        }
        return cur;
    }
}
