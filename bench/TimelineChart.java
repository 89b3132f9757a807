import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Draws a shutdown report (the JSON the starter writes to {@code graceful.shutdown.report.file})
 * as an SVG timeline: one row per phase, sorted by start, a bar from its start offset for its
 * duration coloured by outcome and labelled with name, duration and detail; the cleanups under
 * the cleanup phase; the end ({@code totalMs}) and the budget ({@code budgetMs}). Phases that
 * overlap in time stay readable because each has its own row. JDK only.
 *
 * <pre>java bench/TimelineChart.java &lt;report.json&gt; &lt;out.svg&gt;</pre>
 */
public final class TimelineChart {

	private static final int WIDTH = 900;

	private static final int LEFT = 24;

	private static final int RIGHT = 24;

	private static final int PLOT_WIDTH = WIDTH - LEFT - RIGHT;

	private static final int ROW = 34;

	private static final int BAR = 13;

	private static final String FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

	/** Rough width of one character of 11 px text, to keep labels inside the drawing. */
	private static final double CHAR_WIDTH = 6.4;

	private static final Map<String, String> OUTCOME_COLOURS = new LinkedHashMap<>();

	static {
		OUTCOME_COLOURS.put("COMPLETED", "#59a14f");
		OUTCOME_COLOURS.put("ENDED_EARLY", "#76b7b2");
		OUTCOME_COLOURS.put("SKIPPED", "#b4b4b4");
		OUTCOME_COLOURS.put("TIMED_OUT", "#f28e2b");
		OUTCOME_COLOURS.put("FAILED", "#e15759");
	}

	/** A white outline behind label text, so that the lines it crosses do not cut it up. */
	private static final String HALO = "stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\""
			+ " paint-order=\"stroke\"";

	/** Darker shades of the outcome colours, for text on white. */
	private static final Map<String, String> OUTCOME_TEXT_COLOURS = Map.of("COMPLETED", "#2f7d32", "ENDED_EARLY",
			"#2a7f79", "SKIPPED", "#777777", "TIMED_OUT", "#c25e00", "FAILED", "#c0392b");

	private TimelineChart() {
	}

	public static void main(String[] args) throws IOException {
		if (args.length != 2) {
			System.err.println("usage: java bench/TimelineChart.java <report.json> <out.svg>");
			System.exit(2);
		}
		Object report = new Json(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8)).parse();
		Files.writeString(Path.of(args[1]), svg(map(report)), StandardCharsets.UTF_8);
	}

	static String svg(Map<String, Object> report) {
		long totalMs = number(report.get("totalMs"));
		long budgetMs = number(report.get("budgetMs"));
		boolean complete = Boolean.TRUE.equals(report.get("complete"));
		List<Row> rows = rows(report);
		long endMs = totalMs;
		for (Row row : rows) {
			endMs = Math.max(endMs, row.startMs + row.durationMs);
		}
		// A budget far beyond the end would squeeze every bar into a corner: the axis then ends
		// a little after the last bar, and the budget is shown as a note and a strip below.
		boolean budgetOnAxis = budgetMs > 0 && budgetMs <= endMs * 1.5;
		Axis x = Axis.of(budgetOnAxis ? Math.max(endMs, budgetMs) * 1.02 : endMs * 1.08, 10);

		int top = 72;
		int rowsBottom = top + rows.size() * ROW;
		int axisBottom = rowsBottom + 26;
		int stripTop = axisBottom + 14;
		int legendTop = stripTop + (budgetOnAxis ? 0 : 34);
		int height = legendTop + 30;
		StringBuilder svg = new StringBuilder();
		svg.append(String.format(Locale.ROOT,
				"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" %s font-size=\"11\">%n",
				WIDTH, height, WIDTH, height, FONT));
		svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, height));
		svg.append(text(LEFT, 22, "start", "font-size=\"15\" font-weight=\"bold\" fill=\"#222\"",
				"Graceful shutdown: SIGTERM to done in " + grouped(totalMs) + " ms"));
		svg.append(text(LEFT, 40, "start", "fill=\"#555\"",
				"budget " + grouped(budgetMs) + " ms" + (complete ? ", every step ended" : ", still under way when written")
						+ summary(report)));

		// Grid with the time axis under it.
		for (double tick : x.ticks()) {
			double px = px(tick, x);
			svg.append(line(px, top - 4, px, rowsBottom, "#ececec", 1, null));
			svg.append(line(px, rowsBottom, px, rowsBottom + 4, "#888", 1, null));
			svg.append(text(px, rowsBottom + 16, "middle", "fill=\"#555\"", grouped(Math.round(tick))));
		}
		svg.append(line(LEFT, rowsBottom, LEFT + PLOT_WIDTH, rowsBottom, "#888", 1, null));
		svg.append(text(LEFT + PLOT_WIDTH, axisBottom + 4, "end", "fill=\"#555\"", "ms since SIGTERM"));

		// The end and the budget, under the labels.
		double endX = px(totalMs, x);
		svg.append(line(endX, top - 8, endX, rowsBottom, "#222", 1.3, "5 3"));
		svg.append(text(endX - 3, top - 10, "end", "font-size=\"10\" fill=\"#222\"",
				"end " + grouped(totalMs) + " ms"));
		if (budgetOnAxis) {
			double budgetX = px(budgetMs, x);
			svg.append(line(budgetX, top - 8, budgetX, rowsBottom, "#c0392b", 1.3, "2 2"));
			svg.append(text(budgetX - 3, top - 10, "end", "font-size=\"10\" fill=\"#c0392b\"",
					"budget " + grouped(budgetMs) + " ms"));
		}
		else {
			budgetStrip(svg, stripTop, totalMs, budgetMs);
		}
		int rowTop = top;
		for (Row row : rows) {
			row(svg, row, rowTop, x);
			rowTop += ROW;
		}
		legend(svg, legendTop + 10, budgetOnAxis);
		svg.append("</svg>\n");
		return svg.toString();
	}

	/** The phases by start offset, each followed by its cleanups when it is the cleanup phase. */
	private static List<Row> rows(Map<String, Object> report) {
		List<Row> phases = new ArrayList<>();
		for (Object item : list(report.get("phases"))) {
			Map<String, Object> phase = map(item);
			phases.add(new Row(string(phase.get("name")), number(phase.get("startOffsetMs")),
					number(phase.get("durationMs")), string(phase.get("outcome")), string(phase.get("detail")), false));
		}
		// Stable: phases that start together keep the report's order.
		phases.sort(Comparator.comparingLong(Row::startMs));
		List<Map<String, Object>> cleanups = new ArrayList<>();
		for (Object item : list(report.get("cleanups"))) {
			cleanups.add(map(item));
		}
		cleanups.sort(Comparator.comparingLong((cleanup) -> number(cleanup.get("order"))));
		List<Row> rows = new ArrayList<>();
		for (Row phase : phases) {
			rows.add(phase);
			if (phase.name.equals("cleanup")) {
				// The report has each cleanup's duration, not its start: they run one after the
				// other in order, so each is drawn where the previous one ended.
				long start = phase.startMs;
				for (Map<String, Object> cleanup : cleanups) {
					long duration = number(cleanup.get("durationMs"));
					Object error = cleanup.get("error");
					rows.add(new Row(string(cleanup.get("name")), start, duration, string(cleanup.get("outcome")),
							"order " + number(cleanup.get("order")) + ((error != null) ? ", " + error : ""), true));
					start += duration;
				}
			}
		}
		return rows;
	}

	private static void row(StringBuilder svg, Row row, int top, Axis x) {
		double barX = px(row.startMs, x);
		double barWidth = Math.max(3, px(row.startMs + row.durationMs, x) - barX);
		double barY = top + 16;
		String colour = OUTCOME_COLOURS.getOrDefault(row.outcome, "#9c755f");
		if (row.cleanup) {
			// A cleanup hangs under its phase: a thinner bar and an indented label.
			svg.append(String.format(Locale.ROOT,
					"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"%s\" fill-opacity=\"0.75\"/>%n",
					barX, barY + 2, barWidth, BAR - 4, colour));
		}
		else {
			svg.append(String.format(Locale.ROOT,
					"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"%s\"/>%n", barX, barY,
					barWidth, BAR, colour));
		}
		String name = (row.cleanup ? "\u21b3 " : "") + row.name;
		String duration = " " + grouped(row.durationMs) + " ms ";
		String detail = row.detail.isEmpty() ? "" : " \u00b7 " + row.detail;
		double width = (name + duration + row.outcome + detail).length() * CHAR_WIDTH;
		// Start the label at the bar; move it left where it would run off the drawing.
		double labelX = Math.max(LEFT, Math.min(barX, LEFT + PLOT_WIDTH - width));
		svg.append(String.format(Locale.ROOT,
				"<text x=\"%.1f\" y=\"%.1f\" fill=\"#333\" %s><tspan font-weight=\"%s\">%s</tspan>%s<tspan fill=\"%s\">%s</tspan>%s</text>%n",
				labelX, barY - 4.0, HALO, row.cleanup ? "normal" : "bold", escape(name), escape(duration),
				OUTCOME_TEXT_COLOURS.getOrDefault(row.outcome, "#333"), escape(row.outcome), escape(detail)));
	}

	private static void budgetStrip(StringBuilder svg, int top, long totalMs, long budgetMs) {
		double used = (budgetMs > 0) ? Math.min(1, (double) totalMs / budgetMs) : 0;
		double stripWidth = PLOT_WIDTH - 260;
		svg.append(text(LEFT, top + 9, "start", "fill=\"#555\"", "budget used"));
		double x = LEFT + 80;
		svg.append(String.format(Locale.ROOT,
				"<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"10\" fill=\"#f1f1f1\" stroke=\"#c0392b\" stroke-width=\"0.8\"/>%n",
				x, top, stripWidth));
		svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"10\" fill=\"#555\"/>%n", x,
				top, Math.max(1.5, stripWidth * used)));
		svg.append(text(x + stripWidth + 8, top + 9, "start", "fill=\"#555\"",
				grouped(totalMs) + " of " + grouped(budgetMs) + " ms (" + Math.round(used * 100) + " %)"));
	}

	private static void legend(StringBuilder svg, int y, boolean budgetLine) {
		double x = LEFT;
		for (Map.Entry<String, String> outcome : OUTCOME_COLOURS.entrySet()) {
			svg.append(String.format(Locale.ROOT,
					"<rect x=\"%.1f\" y=\"%d\" width=\"14\" height=\"10\" rx=\"2\" fill=\"%s\"/>%n", x, y - 8,
					outcome.getValue()));
			svg.append(text(x + 19, y + 1, "start", "fill=\"#333\"", outcome.getKey()));
			x += 24 + outcome.getKey().length() * CHAR_WIDTH + 14;
		}
		svg.append(line(x, y - 3, x + 20, y - 3, "#222", 1.3, "5 3"));
		svg.append(text(x + 25, y + 1, "start", "fill=\"#333\"", "end"));
		if (budgetLine) {
			x += 60;
			svg.append(line(x, y - 3, x + 20, y - 3, "#c0392b", 1.3, "2 2"));
			svg.append(text(x + 25, y + 1, "start", "fill=\"#333\"", "budget"));
		}
	}

	private static String summary(Map<String, Object> report) {
		StringBuilder summary = new StringBuilder();
		if (report.get("requests") instanceof Map<?, ?> requests) {
			summary.append("; requests: ").append(requests.get("inFlightAtStart")).append(" in flight, ")
				.append(requests.get("completed")).append(" completed, ").append(requests.get("aborted"))
				.append(" aborted");
		}
		if (report.get("tasks") instanceof Map<?, ?> tasks) {
			summary.append("; tasks: ").append(tasks.get("completed")).append(" completed, ")
				.append(tasks.get("cancelled")).append(" cancelled");
		}
		return summary.toString();
	}

	private static double px(double ms, Axis x) {
		return LEFT + ms / x.max() * PLOT_WIDTH;
	}

	private static String line(double x1, double y1, double x2, double y2, String colour, double width,
			String dash) {
		return String.format(Locale.ROOT,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"%s/>%n", x1, y1,
				x2, y2, colour, width, (dash != null) ? " stroke-dasharray=\"" + dash + "\"" : "");
	}

	private static String text(double x, double y, String anchor, String attributes, String content) {
		return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>%s</text>%n", x, y,
				anchor, attributes, escape(content));
	}

	private static String escape(String text) {
		return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
	}

	/** 30000 as "30 000", the way the README writes counts. */
	private static String grouped(long value) {
		return String.format(Locale.ROOT, "%,d", value).replace(',', ' ');
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		return (value instanceof Map<?, ?>) ? (Map<String, Object>) value : Map.of();
	}

	private static List<?> list(Object value) {
		return (value instanceof List<?> list) ? list : List.of();
	}

	private static long number(Object value) {
		return (value instanceof Number number) ? number.longValue() : 0;
	}

	private static String string(Object value) {
		return (value != null) ? value.toString() : "";
	}

	/**
	 * One bar: a phase, or a cleanup under the cleanup phase.
	 */
	record Row(String name, long startMs, long durationMs, String outcome, String detail, boolean cleanup) {
	}

	/**
	 * A linear axis from 0 to a round maximum, with ticks at 1, 2 or 5 times a power of ten.
	 */
	record Axis(double max, double step) {

		static Axis of(double dataMax, int maxTicks) {
			double max = Math.max(dataMax, 1);
			double raw = max / maxTicks;
			double power = Math.pow(10, Math.floor(Math.log10(raw)));
			double step = power * 10;
			for (double factor : new double[] { 1, 2, 5, 10 }) {
				if (factor * power >= raw) {
					step = factor * power;
					break;
				}
			}
			return new Axis(Math.ceil(max / step - 1e-9) * step, step);
		}

		List<Double> ticks() {
			List<Double> ticks = new ArrayList<>();
			for (int i = 0; i * this.step <= this.max + 1e-9; i++) {
				ticks.add(i * this.step);
			}
			return ticks;
		}

	}

	/**
	 * Just enough JSON: objects become maps (in order), arrays lists, numbers longs or
	 * doubles.
	 */
	static final class Json {

		private final String text;

		private int at;

		Json(String text) {
			this.text = text;
		}

		Object parse() {
			Object value = value();
			space();
			if (this.at != this.text.length()) {
				throw error("end of input");
			}
			return value;
		}

		private Object value() {
			space();
			if (this.at >= this.text.length()) {
				throw error("a value");
			}
			char c = this.text.charAt(this.at);
			switch (c) {
				case '{':
					return object();
				case '[':
					return array();
				case '"':
					return string();
				default:
					if (c == '-' || Character.isDigit(c)) {
						return number();
					}
					for (String word : new String[] { "true", "false", "null" }) {
						if (this.text.startsWith(word, this.at)) {
							this.at += word.length();
							return word.equals("null") ? null : Boolean.valueOf(word);
						}
					}
					throw error("a value");
			}
		}

		private Map<String, Object> object() {
			Map<String, Object> map = new LinkedHashMap<>();
			this.at++;
			space();
			if (peek('}')) {
				this.at++;
				return map;
			}
			while (true) {
				space();
				if (!peek('"')) {
					throw error("a key");
				}
				String key = string();
				space();
				expect(':');
				map.put(key, value());
				space();
				if (peek(',')) {
					this.at++;
					continue;
				}
				expect('}');
				return map;
			}
		}

		private List<Object> array() {
			List<Object> list = new ArrayList<>();
			this.at++;
			space();
			if (peek(']')) {
				this.at++;
				return list;
			}
			while (true) {
				list.add(value());
				space();
				if (peek(',')) {
					this.at++;
					continue;
				}
				expect(']');
				return list;
			}
		}

		private String string() {
			StringBuilder string = new StringBuilder();
			this.at++;
			while (this.at < this.text.length()) {
				char c = this.text.charAt(this.at++);
				if (c == '"') {
					return string.toString();
				}
				if (c != '\\') {
					string.append(c);
					continue;
				}
				char escaped = this.text.charAt(this.at++);
				switch (escaped) {
					case 'n' -> string.append('\n');
					case 't' -> string.append('\t');
					case 'r' -> string.append('\r');
					case 'b' -> string.append('\b');
					case 'f' -> string.append('\f');
					case 'u' -> {
						string.append((char) Integer.parseInt(this.text.substring(this.at, this.at + 4), 16));
						this.at += 4;
					}
					default -> string.append(escaped);
				}
			}
			throw error("the end of a string");
		}

		private Number number() {
			int start = this.at;
			while (this.at < this.text.length() && "+-0123456789.eE".indexOf(this.text.charAt(this.at)) >= 0) {
				this.at++;
			}
			String number = this.text.substring(start, this.at);
			if (number.contains(".") || number.contains("e") || number.contains("E")) {
				return Double.parseDouble(number);
			}
			return Long.parseLong(number);
		}

		private void space() {
			while (this.at < this.text.length() && Character.isWhitespace(this.text.charAt(this.at))) {
				this.at++;
			}
		}

		private boolean peek(char c) {
			return this.at < this.text.length() && this.text.charAt(this.at) == c;
		}

		private void expect(char c) {
			if (!peek(c)) {
				throw error("'" + c + "'");
			}
			this.at++;
		}

		private IllegalArgumentException error(String expected) {
			return new IllegalArgumentException("JSON: expected " + expected + " at offset " + this.at);
		}

	}

}
