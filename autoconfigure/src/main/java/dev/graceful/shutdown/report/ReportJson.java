package dev.graceful.shutdown.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.json.JsonParserFactory;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Abandoned;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.ShutdownReport.Tasks;

/**
 * The JSON form of a {@link ShutdownReport}, the same in the report file and the
 * Actuator endpoint, whatever JSON library the application uses: {@code phases[]} with
 * {@code name}, {@code durationMs}, {@code outcome}; {@code cleanups[]};
 * {@code requests}; {@code tasks}; {@code totalMs}. Error messages, thread names and
 * stack frames are details, left out unless asked for.
 */
public final class ReportJson {

	private ReportJson() {
	}

	/**
	 * Turn a report into maps and lists of plain values.
	 * @param report the report
	 * @param details whether to include error messages, thread names and stack frames
	 * @return the report as a map
	 */
	public static Map<String, Object> toMap(ShutdownReport report, boolean details) {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("startedAt", report.startedAt().toString());
		map.put("totalMs", report.totalMs());
		map.put("budgetMs", report.budgetMs());
		map.put("complete", report.complete());
		List<Object> phases = new ArrayList<>();
		for (Phase phase : report.phases()) {
			Map<String, Object> entry = new LinkedHashMap<>();
			entry.put("name", phase.name());
			entry.put("startOffsetMs", phase.startOffsetMs());
			entry.put("durationMs", phase.durationMs());
			entry.put("outcome", phase.outcome().name());
			entry.put("detail", phase.detail());
			phases.add(entry);
		}
		map.put("phases", phases);
		Requests requests = report.requests();
		if (requests != null) {
			Map<String, Object> entry = new LinkedHashMap<>();
			entry.put("inFlightAtStart", requests.inFlightAtStart());
			entry.put("completed", requests.completed());
			entry.put("aborted", requests.aborted());
			map.put("requests", entry);
		}
		Tasks tasks = report.tasks();
		if (tasks != null) {
			Map<String, Object> entry = new LinkedHashMap<>();
			entry.put("completed", tasks.completed());
			entry.put("cancelled", tasks.cancelled());
			entry.put("neverStarted", tasks.neverStarted());
			entry.put("skipped", tasks.skipped());
			List<Object> abandoned = new ArrayList<>();
			for (Abandoned work : tasks.abandoned()) {
				Map<String, Object> item = new LinkedHashMap<>();
				item.put("name", work.name());
				item.put("runningMs", work.runningMs());
				if (details) {
					item.put("thread", work.thread());
					putIfNotNull(item, "at", work.at());
				}
				abandoned.add(item);
			}
			entry.put("abandoned", abandoned);
			map.put("tasks", entry);
		}
		List<Object> cleanups = new ArrayList<>();
		for (Cleanup cleanup : report.cleanups()) {
			Map<String, Object> entry = new LinkedHashMap<>();
			entry.put("name", cleanup.name());
			entry.put("order", cleanup.order());
			entry.put("durationMs", cleanup.durationMs());
			entry.put("outcome", cleanup.outcome().name());
			if (details) {
				putIfNotNull(entry, "error", cleanup.error());
			}
			cleanups.add(entry);
		}
		map.put("cleanups", cleanups);
		return map;
	}

	/**
	 * Write a report as JSON, with all details.
	 * <p>
	 * Written by hand rather than with a JSON library: this runs once, on a cold path, as
	 * the JVM exits, and a general-purpose writer's first use (its classes and lambdas)
	 * costs tens of milliseconds there.
	 * @param report the report
	 * @return the JSON text
	 */
	public static String write(ShutdownReport report) {
		StringBuilder json = new StringBuilder(1024);
		append(json, toMap(report, true));
		return json.toString();
	}

	private static void append(StringBuilder json, @Nullable Object value) {
		if (value == null) {
			json.append("null");
		}
		else if (value instanceof String string) {
			appendString(json, string);
		}
		else if (value instanceof Number || value instanceof Boolean) {
			json.append(value);
		}
		else if (value instanceof Map<?, ?> map) {
			json.append('{');
			boolean first = true;
			for (Map.Entry<?, ?> entry : map.entrySet()) {
				if (!first) {
					json.append(',');
				}
				first = false;
				appendString(json, String.valueOf(entry.getKey()));
				json.append(':');
				append(json, entry.getValue());
			}
			json.append('}');
		}
		else if (value instanceof List<?> list) {
			json.append('[');
			for (int i = 0; i < list.size(); i++) {
				if (i > 0) {
					json.append(',');
				}
				append(json, list.get(i));
			}
			json.append(']');
		}
		else {
			appendString(json, value.toString());
		}
	}

	private static void appendString(StringBuilder json, String string) {
		json.append('"');
		for (int i = 0; i < string.length(); i++) {
			char c = string.charAt(i);
			switch (c) {
				case '"' -> json.append("\\\"");
				case '\\' -> json.append("\\\\");
				case '\n' -> json.append("\\n");
				case '\r' -> json.append("\\r");
				case '\t' -> json.append("\\t");
				default -> {
					if (c < 0x20 || c == '\u2028' || c == '\u2029') {
						String hex = Integer.toHexString(c);
						json.append("\\u").append("0000", hex.length(), 4).append(hex);
					}
					else {
						json.append(c);
					}
				}
			}
		}
		json.append('"');
	}

	/**
	 * Read a report written by {@link #write(ShutdownReport)}.
	 * @param json the JSON text
	 * @return the report as a map
	 */
	public static Map<String, Object> read(String json) {
		return JsonParserFactory.getJsonParser().parseMap(json);
	}

	/**
	 * Remove the details from a report read back as a map.
	 * @param report the report as a map
	 * @return a copy without error messages, thread names and stack frames
	 */
	@SuppressWarnings("unchecked")
	public static Map<String, Object> withoutDetails(Map<String, Object> report) {
		Map<String, Object> copy = new LinkedHashMap<>(report);
		if (copy.get("cleanups") instanceof List<?> cleanups) {
			copy.put("cleanups", cleanups.stream().map((item) -> without((Map<String, Object>) item, "error")).toList());
		}
		if (copy.get("tasks") instanceof Map<?, ?> tasks) {
			Map<String, Object> tasksCopy = new LinkedHashMap<>((Map<String, Object>) tasks);
			if (tasksCopy.get("abandoned") instanceof List<?> abandoned) {
				tasksCopy.put("abandoned",
						abandoned.stream().map((item) -> without((Map<String, Object>) item, "thread", "at")).toList());
			}
			copy.put("tasks", tasksCopy);
		}
		return copy;
	}

	private static Map<String, Object> without(Map<String, Object> map, String... keys) {
		Map<String, Object> copy = new LinkedHashMap<>(map);
		for (String key : keys) {
			copy.remove(key);
		}
		return copy;
	}

	private static void putIfNotNull(Map<String, Object> map, String key, @Nullable Object value) {
		if (value != null) {
			map.put(key, value);
		}
	}

}
