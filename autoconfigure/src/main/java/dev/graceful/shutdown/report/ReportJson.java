package dev.graceful.shutdown.report;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.json.JsonParserFactory;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Abandoned;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.ShutdownReport.Tasks;

/**
 * The report file's JSON form of a {@link ShutdownReport}: its record components by
 * name, as the Actuator endpoint shows them too, whatever JSON library the application
 * uses.
 */
public final class ReportJson {

	private ReportJson() {
	}

	/**
	 * Write a report as JSON.
	 * <p>
	 * Written by hand rather than with a JSON library: this runs once, on a cold path, as
	 * the JVM exits, and a general-purpose writer's first use (its classes and lambdas)
	 * costs tens of milliseconds there.
	 * @param report the report
	 * @return the JSON text
	 */
	public static String write(ShutdownReport report) {
		Writer json = new Writer();
		json.begin('{');
		json.field("startedAt").string(report.startedAt().toString());
		json.field("totalMs").number(report.totalMs());
		json.field("budgetMs").number(report.budgetMs());
		json.field("complete").raw(String.valueOf(report.complete()));
		json.field("phases").begin('[');
		for (Phase phase : report.phases()) {
			json.item().begin('{');
			json.field("name").string(phase.name());
			json.field("startOffsetMs").number(phase.startOffsetMs());
			json.field("durationMs").number(phase.durationMs());
			json.field("outcome").string(phase.outcome().name());
			json.field("detail").string(phase.detail());
			Counts counts = phase.counts();
			if (counts != null) {
				json.field("counts").begin('{');
				json.field("inFlightAtStart").number(counts.inFlightAtStart());
				json.field("completed").number(counts.completed());
				json.field("cancelled").number(counts.cancelled());
				json.field("abandoned").number(counts.abandoned());
				json.field("handedBack").number(counts.handedBack());
				json.end('}');
			}
			json.end('}');
		}
		json.end(']');
		Requests requests = report.requests();
		if (requests != null) {
			json.field("requests").begin('{');
			json.field("inFlightAtStart").number(requests.inFlightAtStart());
			json.field("completed").number(requests.completed());
			json.field("aborted").number(requests.aborted());
			json.end('}');
		}
		Tasks tasks = report.tasks();
		if (tasks != null) {
			json.field("tasks").begin('{');
			json.field("completed").number(tasks.completed());
			json.field("cancelled").number(tasks.cancelled());
			json.field("neverStarted").number(tasks.neverStarted());
			json.field("skipped").number(tasks.skipped());
			json.field("abandoned").begin('[');
			for (Abandoned work : tasks.abandoned()) {
				json.item().begin('{');
				json.field("name").string(work.name());
				json.field("runningMs").number(work.runningMs());
				if (work.thread() != null) {
					json.field("thread").string(work.thread());
				}
				if (work.at() != null) {
					json.field("at").string(work.at());
				}
				json.end('}');
			}
			json.end(']');
			json.end('}');
		}
		json.field("cleanups").begin('[');
		for (Cleanup cleanup : report.cleanups()) {
			json.item().begin('{');
			json.field("name").string(cleanup.name());
			json.field("order").number(cleanup.order());
			json.field("durationMs").number(cleanup.durationMs());
			json.field("outcome").string(cleanup.outcome().name());
			if (cleanup.error() != null) {
				json.field("error").string(cleanup.error());
			}
			json.end('}');
		}
		json.end(']');
		json.end('}');
		return json.toString();
	}

	/**
	 * Read a report written by {@link #write(ShutdownReport)}.
	 * @param json the JSON text
	 * @return the report
	 * @throws IllegalArgumentException if the text is not such a report
	 */
	public static ShutdownReport read(String json) {
		Map<String, Object> map = JsonParserFactory.getJsonParser().parseMap(json);
		List<Phase> phases = new ArrayList<>();
		for (Map<String, Object> phase : list(map, "phases")) {
			Map<String, Object> counts = optionalMap(phase, "counts");
			phases.add(new Phase(string(phase, "name"), number(phase, "startOffsetMs"), number(phase, "durationMs"),
					outcome(phase), string(phase, "detail"),
					(counts != null) ? new Counts(number(counts, "inFlightAtStart"), number(counts, "completed"),
							number(counts, "cancelled"), number(counts, "abandoned"), number(counts, "handedBack"))
							: null));
		}
		Map<String, Object> requests = optionalMap(map, "requests");
		Map<String, Object> tasks = optionalMap(map, "tasks");
		List<Cleanup> cleanups = new ArrayList<>();
		for (Map<String, Object> cleanup : list(map, "cleanups")) {
			cleanups.add(new Cleanup(string(cleanup, "name"), (int) number(cleanup, "order"),
					number(cleanup, "durationMs"), outcome(cleanup), optionalString(cleanup, "error")));
		}
		return new ShutdownReport(Instant.parse(string(map, "startedAt")), number(map, "totalMs"),
				number(map, "budgetMs"), Boolean.TRUE.equals(map.get("complete")), phases,
				(requests != null) ? new Requests(number(requests, "inFlightAtStart"), number(requests, "completed"),
						number(requests, "aborted")) : null,
				(tasks != null) ? tasks(tasks) : null, cleanups);
	}

	private static Tasks tasks(Map<String, Object> tasks) {
		List<Abandoned> abandoned = new ArrayList<>();
		for (Map<String, Object> work : list(tasks, "abandoned")) {
			abandoned.add(new Abandoned(string(work, "name"), number(work, "runningMs"), optionalString(work, "thread"),
					optionalString(work, "at")));
		}
		return new Tasks(number(tasks, "completed"), number(tasks, "cancelled"), number(tasks, "neverStarted"),
				number(tasks, "skipped"), abandoned);
	}

	private static Outcome outcome(Map<String, Object> map) {
		return Outcome.valueOf(string(map, "outcome"));
	}

	private static String string(Map<String, Object> map, String key) {
		String value = optionalString(map, key);
		if (value == null) {
			throw new IllegalArgumentException("No '" + key + "' in " + map);
		}
		return value;
	}

	private static @Nullable String optionalString(Map<String, Object> map, String key) {
		Object value = map.get(key);
		return (value != null) ? value.toString() : null;
	}

	private static long number(Map<String, Object> map, String key) {
		if (map.get(key) instanceof Number number) {
			return number.longValue();
		}
		throw new IllegalArgumentException("No number '" + key + "' in " + map);
	}

	@SuppressWarnings("unchecked")
	private static @Nullable Map<String, Object> optionalMap(Map<String, Object> map, String key) {
		return (map.get(key) instanceof Map<?, ?> value) ? (Map<String, Object>) value : null;
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> list(Map<String, Object> map, String key) {
		return (map.get(key) instanceof List<?> value) ? (List<Map<String, Object>>) value : List.of();
	}

	/**
	 * Appends JSON to a buffer, the commas included.
	 */
	private static final class Writer {

		private final StringBuilder json = new StringBuilder(1024);

		private boolean first = true;

		Writer begin(char bracket) {
			this.json.append(bracket);
			this.first = true;
			return this;
		}

		Writer end(char bracket) {
			this.json.append(bracket);
			this.first = false;
			return this;
		}

		Writer item() {
			if (!this.first) {
				this.json.append(',');
			}
			this.first = false;
			return this;
		}

		Writer field(String name) {
			item();
			appendString(name);
			this.json.append(':');
			return this;
		}

		void number(long value) {
			this.json.append(value);
		}

		void raw(String value) {
			this.json.append(value);
		}

		void string(String value) {
			appendString(value);
		}

		private void appendString(String string) {
			StringBuilder json = this.json;
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

		@Override
		public String toString() {
			return this.json.toString();
		}

	}

}
