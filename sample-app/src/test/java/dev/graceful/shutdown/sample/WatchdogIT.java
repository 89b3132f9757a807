package dev.graceful.shutdown.sample;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged sample application in a child JVM has a {@code @PreDestroy} that never
 * returns: after a real SIGTERM the watchdog halts the JVM once the budget and its margin
 * are spent, with a thread dump that points at the culprit.
 */
class WatchdogIT {

	private static final Duration BUDGET = Duration.ofSeconds(4);

	private static final Duration MARGIN = Duration.ofSeconds(1);

	private SampleAppProcess app;

	@AfterEach
	void killLeftovers() {
		if (this.app != null) {
			this.app.close();
		}
	}

	@Test
	@Timeout(value = 3, unit = TimeUnit.MINUTES)
	void stuckPreDestroyIsHaltedAfterTheBudgetWithAThreadDumpAndExitCode124() {
		int port = SampleAppProcess.freePort();
		this.app = SampleAppProcess
			.start("watchdog", port, "--sample.stubborn-destroy=true",
					"--graceful.shutdown.timeout=" + BUDGET.toSeconds() + "s", "--graceful.shutdown.delay=0s",
					"--graceful.shutdown.tasks.timeout=1s", "--graceful.shutdown.cleanup.timeout=1s",
					"--graceful.shutdown.watchdog.margin=" + MARGIN.toSeconds() + "s",
					"--graceful.shutdown.report.file=" + SampleAppProcess.logDirectory().resolve("watchdog-report.json"))
			.awaitReady(Duration.ofSeconds(90));

		long sigterm = System.nanoTime();
		this.app.sigterm();
		int exitCode = this.app.awaitExit(Duration.ofSeconds(60));
		Duration exiting = Duration.ofNanos(System.nanoTime() - sigterm);

		String log = this.app.log();
		assertThat(exitCode).as("exit code; log:%n%s", this.app.logTail(60)).isEqualTo(124);
		assertThat(exiting).as("halted after budget + margin, well before a SIGKILL")
			.isGreaterThanOrEqualTo(BUDGET.plus(MARGIN).minusMillis(500))
			.isLessThan(Duration.ofSeconds(15));
		assertThat(log).contains("Closing the stubborn resource (this never returns)")
			.contains("Graceful shutdown did not finish within its budget of 4000 ms (graceful.shutdown.timeout) "
					+ "plus 1000 ms margin; halting with exit code 124.")
			.contains("Still running: no step of ours: Spring is stopping other lifecycle beans or destroying beans")
			.contains("Thread dump:")
			.containsPattern(Pattern.compile("^\\s+at (\\S*/)?dev\\.graceful\\.shutdown\\.sample\\.StubbornResource\\.close\\(",
					Pattern.MULTILINE));
		assertThat(log).as("every step ended before the stuck @PreDestroy").contains("Graceful shutdown complete in ");
	}

}
