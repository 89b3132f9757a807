package dev.graceful.shutdown.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs a class's {@code main} in a child JVM with the tests' class path (C1 only, which
 * starts faster), for what only a real JVM shows: its exit, its class loading.
 */
public final class ChildJvm {

	private ChildJvm() {
	}

	/**
	 * Run the class and wait for the JVM to exit with code 0.
	 * @param mainClass the class whose {@code main} runs
	 * @param timeout how long the JVM may take to exit
	 * @param jvmOptions options of the JVM, before the class path
	 * @return what the JVM printed, standard output and error together
	 * @throws Exception if the JVM cannot be started or the wait is interrupted
	 */
	public static String run(Class<?> mainClass, Duration timeout, String... jvmOptions) throws Exception {
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.add("-XX:TieredStopAtLevel=1");
		command.addAll(List.of(jvmOptions));
		command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		ByteArrayOutputStream output = new ByteArrayOutputStream();
		Thread reader = new Thread(() -> copy(process.getInputStream(), output), "child-output");
		reader.setDaemon(true);
		reader.start();
		try {
			boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
			reader.join(10_000);
			String text = output.toString(StandardCharsets.UTF_8);
			assertThat(exited).as("child JVM exited; output:%n%s", text).isTrue();
			assertThat(process.exitValue()).as("exit code; output:%n%s", text).isZero();
			return text;
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
