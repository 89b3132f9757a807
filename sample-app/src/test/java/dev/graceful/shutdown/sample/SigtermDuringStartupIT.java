package dev.graceful.shutdown.sample;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged sample application in a child JVM receives a real SIGTERM while it is
 * still starting (a slow bean initialization): it finishes starting, skips the delay
 * (no load balancer ever routed to it) and exits cleanly, without a stack trace.
 */
class SigtermDuringStartupIT {

	private static final Duration STARTUP_DELAY = Duration.ofSeconds(6);

	/** The sample's deliberately failing cleanup, whose stack trace is expected. */
	private static final String FAILING_SAMPLE_CLEANUP = "cleanup 'audit-log.close' failed";

	private SampleAppProcess app;

	@AfterEach
	void killLeftovers() {
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	@Timeout(value = 3, unit = TimeUnit.MINUTES)
	void sigtermDuringStartupSkipsTheDelayAndExitsCleanlyWithinTheBudget() {
		int port = SampleAppProcess.freePort();
		this.app = SampleAppProcess.start("sigterm-during-startup", port,
				"--sample.startup-delay=" + STARTUP_DELAY.toSeconds() + "s",
				"--graceful.shutdown.report.file="
						+ SampleAppProcess.logDirectory().resolve("sigterm-during-startup-report.json"));
		// The web server is created before the singletons, SlowStartup among them.
		this.app.awaitLog(Pattern.compile("Tomcat initialized with port"), Duration.ofSeconds(90));

		String logAtSigterm = this.app.log();
		long sigterm = System.nanoTime();
		this.app.sigterm();
		int exitCode = this.app.awaitExit(Duration.ofSeconds(60));
		Duration exiting = Duration.ofNanos(System.nanoTime() - sigterm);

		String log = this.app.log();
		assertThat(logAtSigterm).as("SIGTERM sent while starting").doesNotContain("Started SampleApplication");
		assertThat(exitCode).as("exit code; log:%n%s", this.app.logTail(60))
			.isEqualTo(SampleAppProcess.SIGTERM_EXIT_CODE);
		assertThat(exiting).as("exit within the default 30 s budget").isLessThan(Duration.ofSeconds(30));
		assertThat(log).contains("Graceful shutdown: delay skipped (the shutdown began while the application was starting)")
			.containsPattern("Graceful shutdown complete in \\d+ ms: readiness \\d+ ms COMPLETED, job-consumer \\d+ ms COMPLETED, delay \\d+ ms SKIPPED, ");
		assertThat(withoutFailingSampleCleanup(log)).as("log without the sample's deliberately failing cleanup")
			.doesNotContainPattern(Pattern.compile("^\tat ", Pattern.MULTILINE))
			.doesNotContain("Exception");
	}

	/**
	 * Remove the lines about the sample's cleanup that throws on purpose (its warning, the
	 * stack trace after it, its line in the report): any other exception is a defect.
	 */
	private static String withoutFailingSampleCleanup(String log) {
		List<String> kept = new ArrayList<>();
		boolean inStackTrace = false;
		for (String line : log.lines().toList()) {
			if (line.contains(FAILING_SAMPLE_CLEANUP)) {
				inStackTrace = true;
				continue;
			}
			if (inStackTrace && isLogRecord(line)) {
				inStackTrace = false;
			}
			if (!inStackTrace && !line.contains("'audit-log.close'")) {
				kept.add(line);
			}
		}
		return String.join("\n", kept);
	}

	private static boolean isLogRecord(String line) {
		return line.matches("^\\d{4}-\\d{2}-\\d{2}T.*");
	}

}
