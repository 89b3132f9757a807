import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws two rolling restarts, the starter's above plain Spring Boot's, as one SVG: requests
 * completed per second (line), failed requests per second (red bars) and the rollout's events
 * (dashed markers), on a shared time axis. Reads the CSV files RollingRestartIT writes to
 * {@code sample-app/target/rollouts/<label>.csv}; JDK only.
 *
 * <pre>java bench/RolloutChart.java &lt;out.svg&gt; &lt;starter.csv&gt; &lt;plain.csv&gt; [title]</pre>
 */
public final class RolloutChart {

	private static final int WIDTH = 900;

	private static final int LEFT = 64;

	private static final int RIGHT = 20;

	private static final int PLOT_WIDTH = WIDTH - LEFT - RIGHT;

	private static final int PANEL_TITLE = 20;

	private static final int MARKER_ROW = 13;

	private static final int MARKER_ROWS = 3;

	private static final int PLOT_HEIGHT = 150;

	private static final int TICK_LABELS = 18;

	private static final int PANEL_GAP = 14;

	private static final int PANEL_HEIGHT = PANEL_TITLE + MARKER_ROWS * MARKER_ROW + 4 + PLOT_HEIGHT + TICK_LABELS;

	private static final String FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

	/** Rough width of one character of 10 px text, to keep marker labels apart. */
	private static final double CHAR_WIDTH = 6.6;

	private static final String HALO = "stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\""
			+ " paint-order=\"stroke\"";

	private static final String OK_COLOUR = "#1f6fb4";

	private static final String FAILED_COLOUR = "#d7301f";

	private RolloutChart() {
	}

	public static void main(String[] args) throws IOException {
		if (args.length < 3 || args.length > 4) {
			System.err.println("usage: java bench/RolloutChart.java <out.svg> <starter.csv> <plain.csv> [title]");
			System.exit(2);
		}
		Rollout starter = Rollout.read(Path.of(args[1]));
		Rollout plain = Rollout.read(Path.of(args[2]));
		String title = (args.length == 4) ? args[3] : null;
		Files.writeString(Path.of(args[0]), svg(title, List.of(starter, plain)), StandardCharsets.UTF_8);
	}

	static String svg(String title, List<Rollout> rollouts) {
		int top = (title != null) ? 34 : 8;
		int panelsEnd = top + rollouts.size() * (PANEL_HEIGHT + PANEL_GAP) - PANEL_GAP;
		int height = panelsEnd + 50;
		long endMs = 0;
		double maxRate = 0;
		for (Rollout rollout : rollouts) {
			endMs = Math.max(endMs, rollout.endMs());
			for (Bucket bucket : rollout.buckets) {
				maxRate = Math.max(maxRate, Math.max(rollout.perSecond(bucket.ok), rollout.perSecond(bucket.failed)));
			}
		}
		// Both panels share both axes, so their heights and times compare at a glance.
		Axis x = Axis.of(endMs / 1000.0, 10, false);
		Axis y = Axis.of(maxRate, 4, true);
		StringBuilder svg = new StringBuilder();
		svg.append(String.format(Locale.ROOT,
				"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" %s font-size=\"11\">%n",
				WIDTH, height, WIDTH, height, FONT));
		svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>%n", WIDTH, height));
		if (title != null) {
			svg.append(text(WIDTH / 2.0, 22, "middle", "font-size=\"15\" font-weight=\"bold\" fill=\"#222\"", title));
		}
		int panelTop = top;
		for (Rollout rollout : rollouts) {
			panel(svg, rollout, panelTop, x, y);
			panelTop += PANEL_HEIGHT + PANEL_GAP;
		}
		svg.append(text(LEFT + PLOT_WIDTH / 2.0, panelsEnd + 12, "middle", "fill=\"#555\"",
				"seconds since the load started"));
		legend(svg, panelsEnd + 34);
		svg.append("</svg>\n");
		return svg.toString();
	}

	private static void panel(StringBuilder svg, Rollout rollout, int top, Axis x, Axis y) {
		double plotTop = top + PANEL_TITLE + MARKER_ROWS * MARKER_ROW + 4;
		double plotBottom = plotTop + PLOT_HEIGHT;
		// Title with the totals; the failed count in red when there is any.
		svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"13\" fill=\"#222\">", LEFT,
				top + 14));
		svg.append("<tspan font-weight=\"bold\">").append(escape(rollout.title)).append("</tspan>: ");
		svg.append(String.format("<tspan font-weight=\"bold\" fill=\"%s\">%s failed</tspan> of %s requests",
				(rollout.failed() > 0) ? FAILED_COLOUR : "#1a7f37", grouped(rollout.failed()),
				grouped(rollout.ok() + rollout.failed())));
		svg.append("</text>\n");

		// Grid and axes.
		for (double tick : y.ticks()) {
			double py = plotBottom - tick / y.max() * PLOT_HEIGHT;
			svg.append(line(LEFT, py, LEFT + PLOT_WIDTH, py, "#e6e6e6", 1, null));
			svg.append(text(LEFT - 6, py + 4, "end", "fill=\"#555\"", grouped(Math.round(tick))));
		}
		for (double tick : x.ticks()) {
			double px = LEFT + tick / x.max() * PLOT_WIDTH;
			svg.append(line(px, plotBottom, px, plotBottom + 4, "#888", 1, null));
			svg.append(text(px, plotBottom + 15, "middle", "fill=\"#555\"", format(tick) + " s"));
		}
		svg.append(line(LEFT, plotBottom, LEFT + PLOT_WIDTH, plotBottom, "#888", 1, null));
		svg.append(line(LEFT, plotTop, LEFT, plotBottom, "#888", 1, null));
		svg.append(String.format(Locale.ROOT,
				"<text transform=\"translate(%d %.1f) rotate(-90)\" text-anchor=\"middle\" fill=\"#555\">requests / s</text>%n",
				16, (plotTop + plotBottom) / 2));

		// Failed requests: one bar per bucket, at least 2 px high so a single failure shows.
		double msToPx = PLOT_WIDTH / (x.max() * 1000);
		double barWidth = Math.max(1.5, rollout.bucketMs * msToPx - 0.6);
		for (Bucket bucket : rollout.buckets) {
			if (bucket.failed > 0) {
				double h = Math.max(2, rollout.perSecond(bucket.failed) / y.max() * PLOT_HEIGHT);
				svg.append(String.format(Locale.ROOT,
						"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s failed at %s s</title></rect>%n",
						LEFT + bucket.startMs * msToPx, plotBottom - h, barWidth, h, FAILED_COLOUR,
						bucket.failed, format(bucket.startMs / 1000.0)));
			}
		}

		// Completed requests: a line through the middle of each bucket, over a light area.
		StringBuilder points = new StringBuilder();
		for (Bucket bucket : rollout.buckets) {
			double px = LEFT + (bucket.startMs + rollout.bucketMs / 2.0) * msToPx;
			double py = plotBottom - rollout.perSecond(bucket.ok) / y.max() * PLOT_HEIGHT;
			points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
		}
		if (!rollout.buckets.isEmpty()) {
			double first = LEFT + rollout.bucketMs / 2.0 * msToPx;
			double last = LEFT + (rollout.buckets.get(rollout.buckets.size() - 1).startMs + rollout.bucketMs / 2.0)
					* msToPx;
			svg.append(String.format(Locale.ROOT,
					"<polygon points=\"%.1f,%.1f %s%.1f,%.1f\" fill=\"%s\" fill-opacity=\"0.12\"/>%n", first,
					plotBottom, points, last, plotBottom, OK_COLOUR));
			svg.append(String.format(Locale.ROOT,
					"<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.4\" stroke-linejoin=\"round\"/>%n",
					points.toString().trim(), OK_COLOUR));
		}

		// Events: dashed lines through the plot, labels in rows above it, never on top of each
		// other; the labels come after all lines, with a white outline, so no line cuts one.
		StringBuilder labels = new StringBuilder();
		double[] rowEnds = new double[MARKER_ROWS];
		java.util.Arrays.fill(rowEnds, Double.NEGATIVE_INFINITY);
		for (Event event : rollout.events) {
			if (event.marker.isEmpty()) {
				continue;
			}
			double px = LEFT + event.ms * msToPx;
			double labelWidth = event.marker.length() * CHAR_WIDTH + 4;
			boolean leftOfLine = px + labelWidth > LEFT + PLOT_WIDTH;
			double start = leftOfLine ? px - labelWidth : px;
			int row = -1;
			for (int i = MARKER_ROWS - 1; i >= 0; i--) {
				// A row is free where this label fits, and the line down from it crosses no
				// label in the rows below.
				boolean crossesNone = true;
				for (int below = i + 1; below < MARKER_ROWS; below++) {
					crossesNone &= rowEnds[below] < px - 2;
				}
				if (!crossesNone) {
					break;
				}
				if (rowEnds[i] < start - 6) {
					row = i;
				}
			}
			if (row < 0) {
				row = 0;
				for (int i = 1; i < MARKER_ROWS; i++) {
					if (rowEnds[i] < rowEnds[row]) {
						row = i;
					}
				}
			}
			rowEnds[row] = start + labelWidth;
			double labelY = top + PANEL_TITLE + (row + 1) * MARKER_ROW - 3;
			String colour = markerColour(event.marker);
			svg.append(line(px, labelY - 9, px, plotBottom, colour, 1, "4 3"));
			labels.append(text(leftOfLine ? px - 3 : px + 3, labelY, leftOfLine ? "end" : "start",
					"font-size=\"10\" fill=\"" + colour + "\" " + HALO, event.marker + "<title>" + escape(event.text)
							+ " at " + format(event.ms / 1000.0) + " s</title>"));
		}
		svg.append(labels);
	}

	private static String markerColour(String marker) {
		if (marker.startsWith("SIGTERM")) {
			return "#8e44ad";
		}
		if (marker.endsWith(" UP")) {
			return "#1a7f37";
		}
		if (marker.endsWith(" exited")) {
			return "#555555";
		}
		return "#aaaaaa";
	}

	private static void legend(StringBuilder svg, int top) {
		double y = top;
		double x = LEFT;
		svg.append(line(x, y, x + 22, y, OK_COLOUR, 2, null));
		svg.append(text(x + 28, y + 4, "start", "fill=\"#333\"", "requests completed per second"));
		x += 220;
		svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>%n",
				x + 6, y - 5, FAILED_COLOUR));
		svg.append(text(x + 22, y + 4, "start", "fill=\"#333\"", "failed requests per second"));
		x += 200;
		svg.append(line(x, y, x + 22, y, "#8e44ad", 1, "4 3"));
		svg.append(text(x + 28, y + 4, "start", "fill=\"#333\"", "SIGTERM"));
		x += 85;
		svg.append(line(x, y, x + 22, y, "#555555", 1, "4 3"));
		svg.append(text(x + 28, y + 4, "start", "fill=\"#333\"", "exited"));
		x += 75;
		svg.append(line(x, y, x + 22, y, "#1a7f37", 1, "4 3"));
		svg.append(text(x + 28, y + 4, "start", "fill=\"#333\"", "back UP in HAProxy"));
		x += 150;
		svg.append(line(x, y, x + 22, y, "#aaaaaa", 1, "4 3"));
		svg.append(text(x + 28, y + 4, "start", "fill=\"#333\"", "load stops"));
	}

	private static String line(double x1, double y1, double x2, double y2, String colour, double width,
			String dash) {
		return String.format(Locale.ROOT,
				"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"%s/>%n", x1, y1,
				x2, y2, colour, format(width), (dash != null) ? " stroke-dasharray=\"" + dash + "\"" : "");
	}

	/** A text element; {@code content} is markup, escaped by the caller where needed. */
	private static String text(double x, double y, String anchor, String attributes, String content) {
		return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>%s</text>%n", x, y,
				anchor, attributes, content.contains("<title>") ? content : escape(content));
	}

	private static String escape(String text) {
		return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
	}

	/** 41203 as "41 203", the way the README writes counts. */
	static String grouped(long value) {
		return String.format(Locale.ROOT, "%,d", value).replace(',', ' ');
	}

	private static String format(double value) {
		return (value == Math.rint(value)) ? Long.toString((long) value)
				: String.format(Locale.ROOT, "%.1f", value);
	}

	/**
	 * A linear axis from 0 to a round maximum, with ticks at 1, 2 or 5 (or 2.5, with
	 * quarters) times a power of ten.
	 */
	record Axis(double max, double step) {

		static Axis of(double dataMax, int maxTicks, boolean quarters) {
			double max = Math.max(dataMax, 1);
			double raw = max / maxTicks;
			double power = Math.pow(10, Math.floor(Math.log10(raw)));
			double step = power * 10;
			for (double factor : new double[] { 1, 2, 2.5, 5, 10 }) {
				if (factor * power >= raw && (quarters || factor != 2.5)) {
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

	record Bucket(long startMs, long ok, long failed) {
	}

	record Event(long ms, String marker, String text) {
	}

	/**
	 * One rollout as RollingRestartIT wrote it: columns {@code kind,ms,ok,failed,marker,text},
	 * kinds {@code title}, {@code bucket} and {@code event}.
	 */
	static final class Rollout {

		final String title;

		final List<Bucket> buckets;

		final List<Event> events;

		final long bucketMs;

		private Rollout(String title, List<Bucket> buckets, List<Event> events) {
			this.title = title;
			this.buckets = buckets;
			this.events = events;
			this.bucketMs = (buckets.size() > 1) ? buckets.get(1).startMs - buckets.get(0).startMs : 250;
		}

		static Rollout read(Path file) throws IOException {
			String title = file.getFileName().toString().replaceFirst("\\.csv$", "");
			List<Bucket> buckets = new ArrayList<>();
			List<Event> events = new ArrayList<>();
			List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
			for (String line : lines.subList(1, lines.size())) {
				if (line.isBlank()) {
					continue;
				}
				List<String> fields = fields(line);
				switch (fields.get(0)) {
					case "title" -> title = fields.get(5);
					case "bucket" -> buckets.add(new Bucket(Long.parseLong(fields.get(1)),
							Long.parseLong(fields.get(2)), Long.parseLong(fields.get(3))));
					case "event" -> events.add(new Event(Long.parseLong(fields.get(1)), fields.get(4), fields.get(5)));
					default -> throw new IllegalArgumentException(file + ": unknown row '" + line + "'");
				}
			}
			return new Rollout(title, buckets, events);
		}

		/** The fields of one CSV line: commas separate, double quotes quote, "" is a quote. */
		private static List<String> fields(String line) {
			List<String> fields = new ArrayList<>();
			StringBuilder field = new StringBuilder();
			boolean quoted = false;
			for (int i = 0; i < line.length(); i++) {
				char c = line.charAt(i);
				if (quoted) {
					if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
						field.append('"');
						i++;
					}
					else if (c == '"') {
						quoted = false;
					}
					else {
						field.append(c);
					}
				}
				else if (c == '"') {
					quoted = true;
				}
				else if (c == ',') {
					fields.add(field.toString());
					field.setLength(0);
				}
				else {
					field.append(c);
				}
			}
			fields.add(field.toString());
			while (fields.size() < 6) {
				fields.add("");
			}
			return fields;
		}

		double perSecond(long count) {
			return count * 1000.0 / this.bucketMs;
		}

		long ok() {
			return this.buckets.stream().mapToLong(Bucket::ok).sum();
		}

		long failed() {
			return this.buckets.stream().mapToLong(Bucket::failed).sum();
		}

		long endMs() {
			long end = this.buckets.isEmpty() ? 0 : this.buckets.get(this.buckets.size() - 1).startMs + this.bucketMs;
			for (Event event : this.events) {
				end = Math.max(end, event.ms);
			}
			return end;
		}

	}

}
