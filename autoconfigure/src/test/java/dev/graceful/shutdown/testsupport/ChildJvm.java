package dev.graceful.shutdown.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs a class's {@code main} in a child JVM with the tests' class path (C1 only, which
 * starts faster), for what only a real JVM shows: its exit, its class loading, a real
 * SIGTERM.
 */
public final class ChildJvm implements AutoCloseable {

	private final Process process;

	private final ByteArrayOutputStream output = new ByteArrayOutputStream();

	private final Thread reader;

	private ChildJvm(Process process) {
		this.process = process;
		this.reader = new Thread(() -> copy(process.getInputStream(), this.output), "child-output");
		this.reader.setDaemon(true);
		this.reader.start();
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
		try (ChildJvm jvm = start(mainClass.getName(), List.of(), List.of(), jvmOptions)) {
			return jvm.awaitExit(timeout, 0);
		}
	}

	/**
	 * Start a class's {@code main} without waiting for it.
	 * @param mainClass the name of the class whose {@code main} runs
	 * @param classPathFirst entries of the class path ahead of the tests' own
	 * @param args the arguments of {@code main}
	 * @param jvmOptions options of the JVM, before the class path
	 * @return the running JVM, to be closed (killed if still running) by the caller
	 * @throws IOException if the JVM cannot be started
	 */
	public static ChildJvm start(String mainClass, List<Path> classPathFirst, List<String> args,
			String... jvmOptions) throws IOException {
		List<String> classPath = new ArrayList<>();
		for (Path entry : classPathFirst) {
			classPath.add(entry.toString());
		}
		classPath.add(System.getProperty("java.class.path"));
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.add("-XX:TieredStopAtLevel=1");
		command.addAll(List.of(jvmOptions));
		command.addAll(List.of("-cp", String.join(File.pathSeparator, classPath), mainClass));
		command.addAll(args);
		return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
	}

	/**
	 * Wait until the JVM has printed a line that matches.
	 * @param pattern what to find in a line
	 * @param timeout how long to wait
	 * @return the match
	 * @throws InterruptedException if the wait is interrupted
	 */
	public Matcher awaitOutput(Pattern pattern, Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			Matcher matcher = pattern.matcher(output());
			if (matcher.find()) {
				return matcher;
			}
			if (!this.process.isAlive()) {
				break;
			}
			Thread.sleep(50);
		}
		throw new AssertionError("No output matching '" + pattern + "' within " + timeout + "; output:\n" + output());
	}

	/**
	 * Send SIGTERM, as a platform does to stop a container.
	 */
	public void terminate() {
		// SIGTERM on Linux. Through the process handle: Process.destroy() would also close
		// the streams, and what the JVM prints while it shuts down would be lost.
		this.process.toHandle().destroy();
	}

	/**
	 * Wait for the JVM to exit with the given code.
	 * @param timeout how long the JVM may take to exit
	 * @param exitCode the expected exit code
	 * @return what the JVM printed, standard output and error together
	 * @throws InterruptedException if the wait is interrupted
	 */
	public String awaitExit(Duration timeout, int exitCode) throws InterruptedException {
		boolean exited = this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
		this.reader.join(10_000);
		String text = output();
		assertThat(exited).as("child JVM exited; output:%n%s", text).isTrue();
		assertThat(this.process.exitValue()).as("exit code; output:%n%s", text).isEqualTo(exitCode);
		return text;
	}

	/**
	 * Return what the JVM has printed so far.
	 * @return standard output and error together
	 */
	public String output() {
		synchronized (this.output) {
			return this.output.toString(StandardCharsets.UTF_8);
		}
	}

	@Override
	public void close() {
		this.process.destroyForcibly();
	}

	private static void copy(InputStream input, ByteArrayOutputStream output) {
		byte[] buffer = new byte[8192];
		try (input) {
			int read;
			while ((read = input.read(buffer)) >= 0) {
				synchronized (output) {
					output.write(buffer, 0, read);
				}
			}
		}
		catch (IOException ex) {
			// The child is gone: keep what was read.
		}
	}

}
