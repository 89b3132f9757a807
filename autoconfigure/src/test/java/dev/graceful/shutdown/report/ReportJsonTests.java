package dev.graceful.shutdown.report;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Abandoned;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.ShutdownReport.Tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/**
 * The JSON shape of a {@link ShutdownReport}, shared by the report file and the
 * endpoint.
 */
class ReportJsonTests {

	private static final ShutdownReport REPORT = new ShutdownReport(Instant.parse("2025-01-02T03:04:05.678Z"), 8123,
			30000, true,
			List.of(new Phase("readiness", 0, 1, Outcome.COMPLETED, "published by Spring Boot"),
					new Phase("delay", 1, 5002, Outcome.COMPLETED, "served for the full delay"),
					new Phase("drain", 5003, 2100, Outcome.TIMED_OUT, "3 in flight at start, 2 completed, 1 aborted"),
					new Phase("tasks", 7103, 1000, Outcome.TIMED_OUT, "0 completed, 0 cancelled, 1 abandoned"),
					new Phase("cleanup", 8103, 20, Outcome.FAILED, "1 completed, 1 failed, 0 timed out")),
			new Requests(3, 2, 1),
			new Tasks(4, 5, 6, 7, List.of(new Abandoned("nightly-export", 1500, "export-1", "com.example.Export.run"))),
			List.of(new Cleanup("cache.flush", -10, 12, Outcome.COMPLETED, null),
					new Cleanup("disk.sync", 0, 8, Outcome.FAILED, "java.io.IOException: disk full")));

	@Test
	void writtenReportHasPhasesCleanupsRequestsTasksAndTotal() {
		DocumentContext json = JsonPath.parse(ReportJson.write(REPORT));

		assertThat(json.read("$.totalMs", Long.class)).isEqualTo(8123);
		assertThat(json.read("$.budgetMs", Long.class)).isEqualTo(30000);
		assertThat(json.read("$.complete", Boolean.class)).isTrue();
		assertThat(json.read("$.startedAt", String.class)).isEqualTo("2025-01-02T03:04:05.678Z");
		assertThat(json.<List<String>>read("$.phases[*].name")).containsExactly("readiness", "delay", "drain", "tasks",
				"cleanup");
		assertThat(json.<List<Integer>>read("$.phases[*].durationMs")).containsExactly(1, 5002, 2100, 1000, 20);
		assertThat(json.<List<String>>read("$.phases[*].outcome")).containsExactly("COMPLETED", "COMPLETED",
				"TIMED_OUT", "TIMED_OUT", "FAILED");
		assertThat(json.<List<Integer>>read("$.phases[*].startOffsetMs")).containsExactly(0, 1, 5003, 7103, 8103);
		assertThat(json.read("$.phases[2].detail", String.class))
			.isEqualTo("3 in flight at start, 2 completed, 1 aborted");
		assertThat(json.<Map<String, Object>>read("$.requests")).containsExactly(entry("inFlightAtStart", 3),
				entry("completed", 2), entry("aborted", 1));
		assertThat(json.<Map<String, Object>>read("$.tasks")).contains(entry("completed", 4), entry("cancelled", 5),
				entry("neverStarted", 6), entry("skipped", 7));
		assertThat(json.<Map<String, Object>>read("$.tasks.abandoned[0]")).containsExactly(
				entry("name", "nightly-export"), entry("runningMs", 1500), entry("thread", "export-1"),
				entry("at", "com.example.Export.run"));
		assertThat(json.<List<String>>read("$.cleanups[*].name")).containsExactly("cache.flush", "disk.sync");
		assertThat(json.<List<Integer>>read("$.cleanups[*].order")).containsExactly(-10, 0);
		assertThat(json.<List<Integer>>read("$.cleanups[*].durationMs")).containsExactly(12, 8);
		assertThat(json.<List<String>>read("$.cleanups[*].outcome")).containsExactly("COMPLETED", "FAILED");
		assertThat(json.<Map<String, Object>>read("$.cleanups[0]")).doesNotContainKey("error");
		assertThat(json.read("$.cleanups[1].error", String.class)).isEqualTo("java.io.IOException: disk full");
	}

	@Test
	void reportOutsideWebApplicationsHasNoRequestsAndNoTasksWhenThatStepDidNotRun() {
		ShutdownReport report = new ShutdownReport(Instant.EPOCH, 5, 30000, false,
				List.of(new Phase("readiness", 0, 1, Outcome.COMPLETED, "")), null, null, List.of());

		Map<String, Object> map = ReportJson.toMap(report, true);

		assertThat(map).doesNotContainKeys("requests", "tasks")
			.containsEntry("complete", false)
			.containsEntry("cleanups", List.of());
	}

	@Test
	void mapWithoutDetailsLeavesOutErrorsThreadsAndFramesOnly() {
		Map<String, Object> map = ReportJson.toMap(REPORT, false);

		assertThat(map).containsEntry("totalMs", 8123L);
		assertThat(cleanups(map)).extracting((cleanup) -> cleanup.keySet())
			.containsOnly(Set.of("name", "order", "durationMs", "outcome"));
		assertThat(abandoned(map)).singleElement()
			.satisfies((work) -> assertThat(work).containsOnlyKeys("name", "runningMs"));
	}

	@Test
	void detailsReadBackFromJsonAreRemovedLikeThoseOfALiveReport() {
		Map<String, Object> read = ReportJson.read(ReportJson.write(REPORT));

		Map<String, Object> withoutDetails = ReportJson.withoutDetails(read);

		assertThat(cleanups(read).get(1)).containsKey("error");
		assertThat(cleanups(withoutDetails)).allSatisfy((cleanup) -> assertThat(cleanup).doesNotContainKey("error"));
		assertThat(abandoned(withoutDetails)).singleElement()
			.satisfies((work) -> assertThat(work).containsOnlyKeys("name", "runningMs"));
		assertThat(withoutDetails.keySet()).containsExactlyElementsOf(ReportJson.toMap(REPORT, false).keySet());
	}

	@Test
	void errorWithQuotesLineBreaksControlCharactersAndNonAsciiSurvivesTheRoundTrip() {
		String error = "java.lang.IllegalStateException: \"disk\" full\r\n\tat C:\\data \u00e9\u2603 \u0000\u0001\u001f\u2028/";
		ShutdownReport report = new ShutdownReport(Instant.EPOCH, 5, 30000, true, List.of(), null, null,
				List.of(new Cleanup("disk.sync", 0, 1, Outcome.FAILED, error)));

		String json = ReportJson.write(report);
		Map<String, Object> read = ReportJson.read(json);

		assertThat(json).doesNotContain("\n", "\r", "\t", "\u0000", "\u0001", "\u001f", "\u2028")
			.contains("\\u0000", "\\u001f", "\\u2028");
		assertThat(JsonPath.parse(json).read("$.cleanups[0].error", String.class)).isEqualTo(error);
		assertThat(cleanups(read)).singleElement().satisfies((cleanup) -> assertThat(cleanup).containsEntry("error", error));
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> cleanups(Map<String, Object> report) {
		return (List<Map<String, Object>>) report.get("cleanups");
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> abandoned(Map<String, Object> report) {
		return (List<Map<String, Object>>) ((Map<String, Object>) report.get("tasks")).get("abandoned");
	}

}
