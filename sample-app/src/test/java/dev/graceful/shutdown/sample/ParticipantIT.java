package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.graceful.shutdown.testsupport.RawHttp;
import dev.graceful.shutdown.testsupport.RawHttp.Response;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample's {@link JobConsumer}, a shutdown participant, in a child JVM that receives a
 * real SIGTERM while it runs two jobs with three more queued. With the starter, it stops
 * taking jobs at once, finishes both beside the lame-duck delay, and shows up in the
 * endpoint, the meters, the log table and the report file. Plain Spring Boot, in the same
 * run, cuts both jobs off.
 */
class ParticipantIT {

	private static final int JOB_MS = 4000;

	private static final Pattern JOB_COMPLETED = Pattern.compile("Job of " + JOB_MS + " ms completed");

	@TempDir
	Path temp;

	private SampleAppProcess app;

	@AfterEach
	void killLeftovers() {
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	@Timeout(value = 2, unit = TimeUnit.MINUTES)
	void consumerFinishesItsJobsBesideTheDelayAndIsReportedAsAStepOfItsOwn() throws Exception {
		Path report = this.temp.resolve("report.json");
		int port = SampleAppProcess.freePort();
		this.app = start("participant", port, "--graceful.shutdown.delay=2s",
				"--graceful.shutdown.report.file=" + report);
		RawHttp http = new RawHttp(port);
		takeTwoJobsWithThreeQueued(http);

		this.app.sigterm();

		Map<String, Object> participant = awaitParticipantState(http, "DRAINING");
		Response active = http.get("/actuator/metrics/graceful.shutdown.participant.active?tag=participant:job-consumer");
		assertThat(participant).containsEntry("start", "WITH_SHUTDOWN").containsEntry("inFlight", 2);
		assertThat(active.status()).isEqualTo(200);
		assertThat(active.<List<Double>>json("$.measurements[*].value")).containsExactly(2.0);
		assertThat(this.app.awaitExit(Duration.ofSeconds(60))).isEqualTo(SampleAppProcess.SIGTERM_EXIT_CODE);

		String log = this.app.log();
		assertThat(JOB_COMPLETED.matcher(log).results().count()).as("jobs completed").isEqualTo(2);
		assertThat(log).containsPattern("Graceful shutdown: participant 'job-consumer' ended after \\d+ ms "
				+ "\\(COMPLETED: 2 in flight at start, 2 completed, 0 abandoned, 3 handed back\\)");
		assertThat(log).containsPattern("\\n  job-consumer +\\d+ +\\d+  COMPLETED +2 in flight at start");
		DocumentContext json = JsonPath.parse(Files.readString(report));
		Map<String, Object> phase = json.<List<Map<String, Object>>>read("$.phases[?(@.name == 'job-consumer')]")
			.get(0);
		Map<String, Object> delay = json.<List<Map<String, Object>>>read("$.phases[?(@.name == 'delay')]").get(0);
		assertThat(phase).containsEntry("outcome", "COMPLETED")
			.containsEntry("counts",
					Map.of("inFlightAtStart", 2, "completed", 2, "cancelled", 0, "abandoned", 0, "handedBack", 3));
		// It ran beside the delay: started with the shutdown, not after the delay.
		assertThat((Integer) phase.get("startOffsetMs")).isLessThanOrEqualTo((Integer) delay.get("startOffsetMs"));
	}

	@Test
	@Timeout(value = 2, unit = TimeUnit.MINUTES)
	void plainSpringBootCutsTheJobsInFlightOff() throws Exception {
		int port = SampleAppProcess.freePort();
		this.app = start("participant-plain", port, "--graceful.shutdown.enabled=false");
		takeTwoJobsWithThreeQueued(new RawHttp(port));

		this.app.sigterm();

		assertThat(this.app.awaitExit(Duration.ofSeconds(60))).isEqualTo(SampleAppProcess.SIGTERM_EXIT_CODE);
		String log = this.app.log();
		assertThat(log).as("the consumer ran its jobs").contains("Started SampleApplication");
		assertThat(JOB_COMPLETED.matcher(log).results().count()).as("jobs completed").isZero();
	}

	private SampleAppProcess start(String name, int port, String... args) {
		return SampleAppProcess.start(name, port, args).awaitReady(Duration.ofSeconds(60));
	}

	private static void takeTwoJobsWithThreeQueued(RawHttp http) throws IOException {
		Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
			assertThat(http.get("/jobs?count=5&ms=" + JOB_MS).status()).isEqualTo(202);
		});
		Awaitility.await()
			.atMost(Duration.ofSeconds(20))
			.until(() -> http.get("/jobs/stats").<Integer>json("$.running") == 2);
		assertThat(http.get("/jobs/stats").<Integer>json("$.queued")).isEqualTo(3);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> awaitParticipantState(RawHttp http, String state) {
		return Awaitility.await()
			.atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> ((List<Map<String, Object>>) http.get("/actuator/gracefulshutdown").json("$.participants"))
				.get(0), (participant) -> state.equals(participant.get("state")));
	}

}
