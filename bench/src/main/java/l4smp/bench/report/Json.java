package l4smp.bench.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON mapper of the reports (Jackson): documents are built as ordered maps and lists of
 * plain values and written indented; numbers read back as {@code Long} or {@code Double}.
 * {@link #plain} turns a report's values into such a tree: member names in snake case (no
 * spaces), non-finite doubles as {@code null} (JSON has no number for them), arrays as lists.
 *
 * <p>The mapper is thread-safe once configured, as Jackson documents.
 */
public final class Json {

    /** The mapper every report is written and read with. */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .build();

    private Json() {
    }

    /** Reads a JSON document into maps, lists and plain values. */
    public static Object read(Path file) throws IOException {
        return MAPPER.readValue(file.toFile(), Object.class);
    }

    /** Parses a JSON text into maps, lists and plain values. */
    public static Object parse(String json) throws IOException {
        return MAPPER.readValue(json, Object.class);
    }

    /** Writes {@code tree} to {@code file} (UTF-8, indented), creating its parent directories. */
    public static void write(Object tree, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, MAPPER.writeValueAsString(tree) + "\n");
    }

    /** A member name without spaces: lower case; every run of characters other than letters, digits, dot, dash and underscore becomes one underscore. */
    public static String key(String name) {
        String k = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_.-]+", "_");
        return k.replaceAll("^_+|_+$", "");
    }

    /**
     * A report value as a JSON tree: maps keep their order with {@link #key} names, collections
     * and arrays become lists, numbers, booleans and strings stay, a non-finite double becomes
     * {@code null}, anything else its string form.
     */
    public static Object plain(Object v) {
        return switch (v) {
            case null -> null;
            case String s -> s;
            case Boolean b -> b;
            case Double d -> Double.isFinite(d) ? d : null;
            case Float f -> Float.isFinite(f) ? f.doubleValue() : null;
            case Number n -> n;
            case Enum<?> e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-');
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, val) -> out.put(key(String.valueOf(k)), plain(val)));
                yield out;
            }
            case Collection<?> c -> {
                List<Object> out = new ArrayList<>(c.size());
                c.forEach(o -> out.add(plain(o)));
                yield out;
            }
            case long[] a -> java.util.Arrays.stream(a).boxed().toList();
            case int[] a -> java.util.Arrays.stream(a).boxed().toList();
            case double[] a -> java.util.Arrays.stream(a).mapToObj(Json::plain).toList();
            case Object[] a -> java.util.Arrays.stream(a).map(Json::plain).toList();
            default -> v.toString();
        };
    }

    /** The value at a dotted path ({@code "latency.cycles.p99"}) of a tree, or {@code null}. */
    public static Object at(Object root, String path) {
        Object cur = root;
        for (String part : path.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) {
                return null;
            }
            cur = m.get(part);
        }
        return cur;
    }
}
