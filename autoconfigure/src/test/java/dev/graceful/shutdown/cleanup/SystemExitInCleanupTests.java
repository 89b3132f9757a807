package dev.graceful.shutdown.cleanup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cleanup that calls {@code System.exit} during the shutdown (which blocks forever on
 * the JVM's shutdown lock) must not deadlock the shutdown. Only a real JVM exit shows
 * this, so the application runs in a child JVM.
 */
class SystemExitInCleanupTests {

	@Test
	void cleanupCallingSystemExitTimesOutAndTheJvmStillExits() throws Exception {
		Path java = Path.of(System.getProperty("java.home"), "bin", "java");
		Process process = new ProcessBuilder(List.of(java.toString(), "-XX:TieredStopAtLevel=1", "-cp",
				System.getProperty("java.class.path"), SystemExitInCleanupApplication.class.getName()))
			.redirectErrorStream(true)
			.start();
		ByteArrayOutputStream output = new ByteArrayOutputStream();
		Thread reader = new Thread(() -> copy(process.getInputStream(), output), "child-output");
		reader.setDaemon(true);
		reader.start();
		try {
			// Startup of a child JVM on a loaded machine plus a 2 s cleanup timeout; a
			// deadlock would hold until the 22 s watchdog halt (exit code 124) or forever.
			boolean exited = process.waitFor(90, TimeUnit.SECONDS);
			reader.join(10_000);
			String text = output.toString(StandardCharsets.UTF_8);
			assertThat(exited).as("child JVM exited; output:%n%s", text).isTrue();
			assertThat(process.exitValue()).as("exit code; output:%n%s", text).isZero();
			assertThat(text).contains("STARTED")
				.contains("CLEANUP exits TIMED_OUT did not finish within 2000 ms (it called System.exit, which blocks during shutdown); interrupted and abandoned")
				.contains("CLEANUP after-exit COMPLETED null")
				.contains("AFTER EXIT RAN")
				.contains("SHUTDOWN COMPLETE");
		}
		finally {
			process.destroyForcibly();
		}
	}

	private static void copy(InputStream input, ByteArrayOutputStream output) {
		try (input) {
			input.transferTo(output);
		}
		catch (IOException ex) {
			// The child is gone: keep what was read.
		}
	}

}
