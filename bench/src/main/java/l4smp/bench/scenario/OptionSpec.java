package l4smp.bench.scenario;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A typed option of a scenario: {@code --name value} on the command line, checked when parsed.
 *
 * @param name         without the dashes
 * @param type         how the value is parsed and checked
 * @param defaultValue the value when the option is absent (as text, parsed like a given one)
 * @param description  one line for {@code --help}
 * @param choices      for {@link Type#CHOICE}: the allowed values
 * @param min          for {@link Type#LONG}: the smallest allowed value
 * @param max          for {@link Type#LONG}: the largest allowed value
 */
public record OptionSpec(String name, Type type, String defaultValue, String description,
                         List<String> choices, long min, long max) {

    /** Value types. */
    public enum Type { LONG, BOOLEAN, CHOICE, STRING }

    public OptionSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(description, "description");
        choices = choices == null ? List.of() : List.copyOf(choices);
        if (type == Type.CHOICE && choices.isEmpty()) {
            throw new IllegalArgumentException("choice option --" + name + " needs choices");
        }
    }

    public static OptionSpec longOption(String name, long defaultValue, long min, long max, String description) {
        return new OptionSpec(name, Type.LONG, Long.toString(defaultValue), description, List.of(), min, max);
    }

    public static OptionSpec booleanOption(String name, boolean defaultValue, String description) {
        return new OptionSpec(name, Type.BOOLEAN, Boolean.toString(defaultValue), description, List.of(), 0, 0);
    }

    public static OptionSpec choiceOption(String name, String defaultValue, List<String> choices, String description) {
        return new OptionSpec(name, Type.CHOICE, defaultValue, description, choices, 0, 0);
    }

    public static OptionSpec stringOption(String name, String defaultValue, String description) {
        return new OptionSpec(name, Type.STRING, defaultValue, description, List.of(), 0, 0);
    }

    /**
     * Parses and checks {@code text}; the returned object is a {@link Long}, {@link Boolean} or
     * {@link String}. Throws {@link IllegalArgumentException} naming the option.
     */
    public Object parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("option --" + name + " needs a value");
        }
        switch (type) {
            case LONG -> {
                long v;
                try {
                    v = Long.parseLong(text.replace("_", ""));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("option --" + name + ": '" + text + "' is not a whole number");
                }
                if (v < min || v > max) {
                    throw new IllegalArgumentException("option --" + name + " must be " + min + ".." + max + ", got " + v);
                }
                return v;
            }
            case BOOLEAN -> {
                return switch (text.toLowerCase(Locale.ROOT)) {
                    case "true", "on", "yes", "1" -> Boolean.TRUE;
                    case "false", "off", "no", "0" -> Boolean.FALSE;
                    default -> throw new IllegalArgumentException("option --" + name + " must be on or off, got '" + text + "'");
                };
            }
            case CHOICE -> {
                if (!choices.contains(text)) {
                    throw new IllegalArgumentException("option --" + name + " must be one of " + String.join("|", choices)
                            + ", got '" + text + "'");
                }
                return text;
            }
            default -> {
                return text;
            }
        }
    }
}
