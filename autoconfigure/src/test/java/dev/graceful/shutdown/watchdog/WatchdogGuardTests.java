package dev.graceful.shutdown.watchdog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The watchdog halts a JVM only while it is exiting and an application context is still
 * closing. Each test runs {@link WatchdogGuardApplication} in a child JVM with a budget
 * of 1 s and a margin of 200 ms, where something of the application's outlasts both
 * (3 s) without the JVM being stuck in a shutdown of ours: the JVM must end with its own
 * exit code, not the watchdog's 124.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class WatchdogGuardTests {

	private static final String PLAN = "budget 1000 ms + 200 ms watchdog margin";

	private static final String HALTING = "halting with exit code";

	private static final String OVER_BUDGET = "did not finish within its budget";

	private Process process;

	private Path outputFile;

	@TempDir
	Path directory;

	@AfterEach
	void killChild() {
		if (this.process != null) {
			this.process.destroyForcibly();
		}
	}

	@Test
	void contextClosedInAJvmThatIsNotExitingIsNotHaltedThoughItsPreDestroyOutlastsTheBudget() throws Exception {
		start("close-in-running-jvm");
		Exit exit = awaitExit();
		assertThat(exit.code()).as("exit code; output:%n%s", exit.output()).isZero();
		assertThat(exit.output()).contains(PLAN)
			.contains("STARTED")
			.doesNotContain(HALTING)
			.doesNotContain(OVER_BUDGET);
		// The @PreDestroy ran its full 3 s before close() returned.
		assertThat(exit.output().indexOf("DESTROYED")).isPositive()
			.isLessThan(exit.output().indexOf("CLOSED IN RUNNING JVM"));
	}

	@Test
	void jvmSlowToExitAfterItsContextClosedOnSystemExitIsNotHalted() throws Exception {
		start("slow-hook-exit");
		assertSlowHookOutlastedTheBudgetWithExitCode(awaitExit(), 3);
	}

	@Test
	void jvmSlowToExitAfterItsContextClosedOnSigtermIsNotHalted() throws Exception {
		start("slow-hook-sigterm");
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> output().contains("STARTED") || !this.process.isAlive());
		assertThat(this.process.isAlive()).as("child JVM started; output:%n%s", output()).isTrue();
		// Process.destroy() sends SIGTERM on Unix.
		this.process.destroy();
		assertSlowHookOutlastedTheBudgetWithExitCode(awaitExit(), 128 + 15);
	}

	private void assertSlowHookOutlastedTheBudgetWithExitCode(Exit exit, int expected) {
		assertThat(exit.code()).as("exit code; output:%n%s", exit.output()).isEqualTo(expected);
		assertThat(exit.output()).contains(PLAN)
			.contains("STARTED")
			.contains("SLOW HOOK STARTED")
			.contains("Graceful shutdown complete in ")
			.contains("DESTROYED")
			.contains("SLOW HOOK DONE")
			.doesNotContain(HALTING)
			.doesNotContain(OVER_BUDGET);
		// The context had closed before the hook was done: nothing of ours was running.
		assertThat(exit.output().indexOf("DESTROYED")).isLessThan(exit.output().indexOf("SLOW HOOK DONE"));
	}

	private void start(String scenario) throws IOException {
		Path java = Path.of(System.getProperty("java.home"), "bin", "java");
		// To a file, not a pipe: Process.destroy() closes the pipe, and with it the lines
		// written during the shutdown.
		this.outputFile = this.directory.resolve(scenario + ".log");
		this.process = new ProcessBuilder(List.of(java.toString(), "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), WatchdogGuardApplication.class.getName(), scenario))
			.redirectErrorStream(true)
			.redirectOutput(this.outputFile.toFile())
			.start();
	}

	private Exit awaitExit() throws Exception {
		// Startup of a child JVM on a loaded machine plus the 3 s of the slow part.
		boolean exited = this.process.waitFor(60, TimeUnit.SECONDS);
		assertThat(exited).as("child JVM exited; output:%n%s", output()).isTrue();
		return new Exit(this.process.exitValue(), output());
	}

	private String output() throws IOException {
		return Files.readString(this.outputFile, StandardCharsets.UTF_8);
	}

	private record Exit(int code, String output) {
	}

}
