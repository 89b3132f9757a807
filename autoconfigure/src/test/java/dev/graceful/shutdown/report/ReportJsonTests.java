package dev.graceful.shutdown.report;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Abandoned;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.ShutdownReport.Tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/**
 * The JSON shape of a {@link ShutdownReport} in the report file.
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

		DocumentContext json = JsonPath.parse(ReportJson.write(report));

		assertThat(json.<Map<String, Object>>read("$")).doesNotContainKeys("requests", "tasks")
			.containsEntry("complete", false);
		assertThat(json.<List<Object>>read("$.cleanups")).isEmpty();
		assertThat(json.<Map<String, Object>>read("$.phases[0]")).doesNotContainKey("counts");
	}

	@Test
	void reportReadBackEqualsTheReportWritten() {
		ShutdownReport withCounts = new ShutdownReport(REPORT.startedAt(), REPORT.totalMs(), REPORT.budgetMs(), true,
				List.of(new Phase("job-consumer", 0, 812, Outcome.TIMED_OUT, "3 in flight at start",
						new Counts(3, 1, 1, 1, 4))),
				REPORT.requests(), REPORT.tasks(), REPORT.cleanups());

		assertThat(ReportJson.read(ReportJson.write(REPORT))).isEqualTo(REPORT);
		assertThat(ReportJson.read(ReportJson.write(withCounts))).isEqualTo(withCounts);
		assertThat(JsonPath.parse(ReportJson.write(withCounts)).<Map<String, Object>>read("$.phases[0].counts"))
			.containsExactly(entry("inFlightAtStart", 3), entry("completed", 1), entry("cancelled", 1),
					entry("abandoned", 1), entry("handedBack", 4));
	}

	@Test
	void errorWithQuotesLineBreaksControlCharactersAndNonAsciiSurvivesTheRoundTrip() {
		String error = "java.lang.IllegalStateException: \"disk\" full\r\n\tat C:\\data \u00e9\u2603 \u0000\u0001\u001f\u2028/";
		ShutdownReport report = new ShutdownReport(Instant.EPOCH, 5, 30000, true, List.of(), null, null,
				List.of(new Cleanup("disk.sync", 0, 1, Outcome.FAILED, error)));

		String json = ReportJson.write(report);

		assertThat(json).doesNotContain("\n", "\r", "\t", "\u0000", "\u0001", "\u001f", "\u2028")
			.contains("\\u0000", "\\u001f", "\\u2028");
		assertThat(JsonPath.parse(json).read("$.cleanups[0].error", String.class)).isEqualTo(error);
		assertThat(ReportJson.read(json).cleanups()).singleElement()
			.satisfies((cleanup) -> assertThat(cleanup.error()).isEqualTo(error));
	}

}
