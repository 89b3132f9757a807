package dev.graceful.shutdown.sample;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.graceful.shutdown.testsupport.RawHttp;
import dev.graceful.shutdown.testsupport.RawHttp.Response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The packaged sample application in a child JVM receives a real SIGTERM while a slow
 * request is in flight.
 */
class SigtermIT {

	private static final Duration DELAY = Duration.ofSeconds(2);

	private static final int SLOW_MS = 3000;

	private static final String STARTED = "Graceful shutdown started: readiness is REFUSING_TRAFFIC \\(.+\\), "
			+ "liveness unchanged";

	private static final String DELAY_ENDED = "Graceful shutdown: delay ended after (\\d+) ms "
			+ "\\(served for the full delay\\)";

	private static final String DRAIN_ENDED = "Graceful shutdown: drain ended after \\d+ ms "
			+ "\\(1 in flight at start, 1 completed, 0 aborted\\)$";

	// Steps after the drain (cleanup, ...) are tested elsewhere; these must be exactly so. The
	// sample's job consumer, a shutdown participant, starts with the shutdown, beside the delay.
	private static final String SUMMARY = "Graceful shutdown complete in \\d+ ms: readiness \\d+ ms COMPLETED, "
			+ "job-consumer \\d+ ms COMPLETED, delay \\d+ ms COMPLETED, drain \\d+ ms COMPLETED(, [^;\\n]+)?; "
			+ "requests: 1 in flight at drain start, 1 completed, 0 aborted$";

	private SampleAppProcess app;

	@AfterEach
	void killLeftovers() {
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	@Timeout(value = 2, unit = TimeUnit.MINUTES)
	void sigtermDuringSlowRequestServesThroughDelayDrainsItLogsEveryStepAndExits() throws Exception {
		int port = SampleAppProcess.freePort();
		this.app = SampleAppProcess.start("sigterm", port, "--graceful.shutdown.delay=" + DELAY.toSeconds() + "s")
			.awaitReady(Duration.ofSeconds(60));
		// Not the first request: that one also initializes the DispatcherServlet.
		assertThat(new RawHttp(port).get("/work?ms=0").status()).isEqualTo(200);

		CompletableFuture<Response> slow = CompletableFuture.supplyAsync(() -> {
			try {
				return new RawHttp(port).get("/work?ms=" + SLOW_MS);
			}
			catch (Exception ex) {
				throw new IllegalStateException("Slow request failed", ex);
			}
		});
		// Let it reach the controller; the drain log line below proves it was in flight.
		SampleAppProcess.sleep(Duration.ofMillis(300));
		assertThat(slow).as("slow request still running when SIGTERM is sent").isNotDone();
		this.app.sigterm();

		this.app.awaitLog(Pattern.compile("Graceful shutdown: delay started"), Duration.ofSeconds(10));
		// During the delay: a listening server answers everything, with Connection: close.
		Response readiness = new RawHttp(port).get("/actuator/health/readiness");
		Response liveness = new RawHttp(port).get("/actuator/health/liveness");
		Response fresh = new RawHttp(port).get("/work?ms=0");
		assertThat(readiness.status()).as("readiness during the delay").isEqualTo(503);
		assertThat(readiness.body()).contains("OUT_OF_SERVICE");
		assertThat(liveness.status()).as("liveness during the delay").isEqualTo(200);
		assertThat(fresh.status()).as("new request during the delay").isEqualTo(200);
		assertThat(fresh.body()).isEqualTo("worked 0 ms\n");
		assertThat(fresh.closesConnection()).as("new request carries Connection: close").isTrue();
		assertThat(readiness.closesConnection()).as("readiness carries Connection: close").isTrue();
		assertThat(liveness.closesConnection()).as("liveness carries Connection: close").isTrue();

		Response slowResponse = slow.get(30, TimeUnit.SECONDS);
		assertThat(slowResponse.status()).isEqualTo(200);
		assertThat(slowResponse.body()).isEqualTo("worked " + SLOW_MS + " ms\n");
		assertThat(slowResponse.closesConnection())
			.as("slow request that started before SIGTERM carries Connection: close: %s", slowResponse.headers())
			.isTrue();

		int exitCode = this.app.awaitExit(Duration.ofSeconds(30));
		assertThat(exitCode).as("exit code after SIGTERM").isEqualTo(SampleAppProcess.SIGTERM_EXIT_CODE);

		String log = this.app.log();
		int at = 0;
		at = expectAfter(log, at, STARTED);
		at = expectAfter(log, at, "Graceful shutdown: delay started, serving for up to " + DELAY.toMillis() + " ms$");
		Matcher delayEnded = matchAfter(log, at, DELAY_ENDED);
		at = expectAfter(log, delayEnded.end(), "Graceful shutdown: drain started with 1 request\\(s\\) in flight$");
		// Spring Boot's own drain runs inside the bracket that times it.
		at = expectAfter(log, at, "o\\.s\\.boot\\.tomcat\\.GracefulShutdown\\s+: Commencing graceful shutdown");
		at = expectAfter(log, at, DRAIN_ENDED);
		expectAfter(log, at, SUMMARY);
		assertThat(Long.parseLong(delayEnded.group(1))).as("delay in ms").isGreaterThanOrEqualTo(DELAY.toMillis());
	}

	private int expectAfter(String log, int from, String regex) {
		return matchAfter(log, from, regex).end();
	}

	private Matcher matchAfter(String log, int from, String regex) {
		Matcher matcher = Pattern.compile(regex, Pattern.MULTILINE).matcher(log);
		if (!matcher.find(from)) {
			fail("No log line matching '%s' after offset %d of %s:%n%s", regex, from, this.app.logFile(), log);
		}
		return matcher;
	}

}
