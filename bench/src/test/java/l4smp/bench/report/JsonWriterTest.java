package l4smp.bench.report;

import l4smp.bench.testing.MiniJson;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonWriterTest {

    @Test
    void nestedValuesRoundTrip() {
        for (boolean pretty : new boolean[]{false, true}) {
            Map<String, Object> inner = new LinkedHashMap<>();
            inner.put("n", 42L);
            inner.put("list", List.of(1L, "two", true));
            String json = new JsonWriter(pretty).beginObject()
                    .name("s").value("text")
                    .name("neg").value(-7)
                    .name("d").value(2.5)
                    .name("whole").value(3.0)
                    .name("nan").value(Double.NaN)
                    .name("nil").nullValue()
                    .name("empty").beginArray().endArray()
                    .name("emptyObj").beginObject().endObject()
                    .name("map").anyValue(inner)
                    .endObject().toJson();
            @SuppressWarnings("unchecked")
            Map<String, Object> back = (Map<String, Object>) MiniJson.parse(json);
            assertEquals("text", back.get("s"));
            assertEquals(-7L, back.get("neg"));
            assertEquals(2.5, back.get("d"));
            assertEquals(3.0, back.get("whole"));
            assertEquals(null, back.get("nan"));
            assertEquals(true, back.containsKey("nil"));
            assertEquals(List.of(), back.get("empty"));
            assertEquals(Map.of(), back.get("emptyObj"));
            assertEquals(inner, back.get("map"));
        }
    }

    @Test
    void stringsAreEscaped() {
        String nasty = "quote\" backslash\\ newline\n tab\t nul\u0000 bell\u0007 ls\u2028 unicode é€";
        String json = new JsonWriter(false).beginArray().value(nasty).endArray().toJson();
        assertEquals(List.of(nasty), MiniJson.parse(json));
    }

    @Test
    void misuseFails() {
        assertThrows(IllegalStateException.class, () -> new JsonWriter(false).beginObject().value(1));
        assertThrows(IllegalStateException.class, () -> new JsonWriter(false).beginArray().name("x"));
        assertThrows(IllegalStateException.class, () -> new JsonWriter(false).beginArray().endObject());
        assertThrows(IllegalStateException.class, () -> new JsonWriter(false).beginArray().toJson());
        assertThrows(IllegalStateException.class, () -> new JsonWriter(false).value(1).value(2));
    }
}
