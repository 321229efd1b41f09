package l4smp.bench.report;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Map;

/**
 * A small streaming JSON writer (RFC 8259) for the run reports: objects, arrays, strings with
 * proper escaping, whole and floating numbers (a non-finite double is written as {@code null},
 * which JSON has no number for), booleans and null. Misuse (a value where a name is due, an
 * unbalanced end) fails with {@link IllegalStateException}, so a report is never malformed.
 *
 * <p>Not thread-safe: one writer builds one document.
 */
public final class JsonWriter {

    private enum Ctx { OBJECT_NAME, OBJECT_VALUE, ARRAY, TOP }

    private final StringBuilder out = new StringBuilder(4096);
    private final Deque<Ctx> stack = new ArrayDeque<>();
    private final Deque<Boolean> first = new ArrayDeque<>();
    private final boolean pretty;
    private boolean done;

    /** @param pretty indent nested values by two spaces per level */
    public JsonWriter(boolean pretty) {
        this.pretty = pretty;
        stack.push(Ctx.TOP);
        first.push(true);
    }

    public JsonWriter beginObject() {
        beforeValue();
        out.append('{');
        stack.push(Ctx.OBJECT_NAME);
        first.push(true);
        return this;
    }

    public JsonWriter endObject() {
        if (stack.peek() != Ctx.OBJECT_NAME) {
            throw new IllegalStateException("endObject outside an object or after a dangling name");
        }
        stack.pop();
        boolean empty = first.pop();
        if (!empty) {
            newline();
        }
        out.append('}');
        return this;
    }

    public JsonWriter beginArray() {
        beforeValue();
        out.append('[');
        stack.push(Ctx.ARRAY);
        first.push(true);
        return this;
    }

    public JsonWriter endArray() {
        if (stack.peek() != Ctx.ARRAY) {
            throw new IllegalStateException("endArray outside an array");
        }
        stack.pop();
        boolean empty = first.pop();
        if (!empty) {
            newline();
        }
        out.append(']');
        return this;
    }

    /** The name of the next member of the current object. */
    public JsonWriter name(String name) {
        if (stack.peek() != Ctx.OBJECT_NAME) {
            throw new IllegalStateException("a name outside an object, or two names in a row: " + name);
        }
        separator();
        appendString(name);
        out.append(pretty ? ": " : ":");
        stack.pop();
        stack.push(Ctx.OBJECT_VALUE);
        return this;
    }

    public JsonWriter value(String s) {
        if (s == null) {
            return nullValue();
        }
        beforeValue();
        appendString(s);
        return this;
    }

    public JsonWriter value(long v) {
        beforeValue();
        out.append(v);
        return this;
    }

    public JsonWriter value(double v) {
        if (!Double.isFinite(v)) {
            return nullValue();
        }
        beforeValue();
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            out.append((long) v).append(".0");
        } else {
            out.append(v);
        }
        return this;
    }

    public JsonWriter value(boolean v) {
        beforeValue();
        out.append(v);
        return this;
    }

    public JsonWriter nullValue() {
        beforeValue();
        out.append("null");
        return this;
    }

    /**
     * Writes a Java value: null, String, Boolean, whole Number, other Number, Map (string keys,
     * as an object), Collection (as an array); anything else as its {@code toString()}.
     */
    public JsonWriter anyValue(Object v) {
        switch (v) {
            case null -> nullValue();
            case String s -> value(s);
            case Boolean b -> value(b.booleanValue());
            case Long l -> value(l.longValue());
            case Integer i -> value(i.longValue());
            case Short s -> value(s.longValue());
            case Byte b -> value(b.longValue());
            case Number n -> value(n.doubleValue());
            case Map<?, ?> m -> {
                beginObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    name(String.valueOf(e.getKey())).anyValue(e.getValue());
                }
                endObject();
            }
            case Collection<?> c -> {
                beginArray();
                for (Object o : c) {
                    anyValue(o);
                }
                endArray();
            }
            default -> value(v.toString());
        }
        return this;
    }

    /** The document; fails if an object or array is still open. */
    public String toJson() {
        if (stack.peek() != Ctx.TOP || !done) {
            throw new IllegalStateException("the JSON document is incomplete");
        }
        return out.toString();
    }

    private void beforeValue() {
        Ctx ctx = stack.peek();
        switch (ctx) {
            case OBJECT_VALUE -> {
                stack.pop();
                stack.push(Ctx.OBJECT_NAME);
            }
            case ARRAY -> separator();
            case TOP -> {
                if (done) {
                    throw new IllegalStateException("a JSON document has one top-level value");
                }
                done = true;
            }
            case OBJECT_NAME -> throw new IllegalStateException("a value where a member name is due");
        }
    }

    private void separator() {
        boolean isFirst = first.pop();
        if (!isFirst) {
            out.append(',');
        }
        first.push(false);
        newline();
    }

    private void newline() {
        if (pretty) {
            out.append('\n');
            // the TOP entry is not a nesting level
            out.repeat("  ", stack.size() - 1);
        }
    }

    private void appendString(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
