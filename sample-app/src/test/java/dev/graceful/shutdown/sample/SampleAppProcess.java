package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.graceful.shutdown.testsupport.RawHttp;

/**
 * The packaged sample application running in a child JVM: started on a given port,
 * logging to a file under {@code target/it-logs}, stopped with a real SIGTERM.
 */
final class SampleAppProcess implements AutoCloseable {

	/** Exit code of a JVM that ran its shutdown hooks after SIGTERM (128 + 15). */
	static final int SIGTERM_EXIT_CODE = 143;

	private static final List<String> JVM_FLAGS = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1",
			"-XX:+UseSerialGC", "-Xss512k");

	private static final Set<Process> alive = ConcurrentHashMap.newKeySet();

	static {
		// Last resort for a test JVM that dies without running @AfterEach: no orphan servers.
		Runtime.getRuntime().addShutdownHook(new Thread(() -> alive.forEach(Process::destroyForcibly),
				"sample-app-reaper"));
	}

	private final String name;

	private final int port;

	private final Process process;

	private final Path logFile;

	private SampleAppProcess(String name, int port, Process process, Path logFile) {
		this.name = name;
		this.port = port;
		this.process = process;
		this.logFile = logFile;
	}

	/**
	 * Start the sample application in a child JVM, bound to 127.0.0.1.
	 * @param name a name unique within the test run, used for the log file
	 * @param port the HTTP port
	 * @param args further application arguments, such as
	 * {@code --graceful.shutdown.delay=3s}
	 * @return the started process, not necessarily ready yet
	 */
	static SampleAppProcess start(String name, int port, String... args) {
		Path logFile = logDirectory().resolve(name + ".log");
		List<String> command = new ArrayList<>();
		command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
		command.addAll(JVM_FLAGS);
		command.add("-jar");
		command.add(sampleJar().toString());
		command.add("--server.port=" + port);
		command.add("--server.address=127.0.0.1");
		command.addAll(List.of(args));
		try {
			Files.deleteIfExists(logFile);
			Process process = new ProcessBuilder(command).redirectErrorStream(true)
				.redirectOutput(logFile.toFile())
				.start();
			alive.add(process);
			return new SampleAppProcess(name, port, process, logFile);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start " + command, ex);
		}
	}

	/**
	 * Return a port of 127.0.0.1 that was free a moment ago.
	 * @return the port
	 */
	static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, RawHttp.LOOPBACK)) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Return distinct ports of 127.0.0.1 that were free a moment ago.
	 * @param count how many
	 * @return the ports
	 */
	static int[] freePorts(int count) {
		Set<Integer> ports = new LinkedHashSet<>();
		for (int attempt = 0; attempt < count * 10 && ports.size() < count; attempt++) {
			ports.add(freePort());
		}
		if (ports.size() < count) {
			throw new IllegalStateException("Could not find " + count + " distinct free ports, only " + ports);
		}
		return ports.stream().mapToInt(Integer::intValue).toArray();
	}

	/**
	 * Return the directory the child processes log to.
	 * @return {@code target/it-logs}, created if needed
	 */
	static Path logDirectory() {
		Path directory = sampleJar().toAbsolutePath().getParent().resolve("it-logs");
		try {
			return Files.createDirectories(directory);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static Path sampleJar() {
		// Failsafe sets sample.jar; the fallback serves a run from the IDE after mvn install.
		String property = System.getProperty("sample.jar");
		Path jar = (property != null) ? Path.of(property) : Path.of("target", "graceful-shutdown-sample-app.jar");
		if (!Files.isRegularFile(jar)) {
			throw new IllegalStateException("Sample jar " + jar.toAbsolutePath()
					+ " not found: build it first with 'mvn -B -q install -DskipTests' from the project root");
		}
		return jar;
	}

	String name() {
		return this.name;
	}

	int port() {
		return this.port;
	}

	Path logFile() {
		return this.logFile;
	}

	boolean isAlive() {
		return this.process.isAlive();
	}

	long pid() {
		return this.process.pid();
	}

	/**
	 * Wait until {@code /actuator/health/readiness} answers 200.
	 * @param timeout how long to wait at most
	 * @return this process
	 */
	SampleAppProcess awaitReady(Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		String last = "no answer yet";
		while (System.nanoTime() - deadline < 0) {
			if (!this.process.isAlive()) {
				throw new IllegalStateException(this.name + " exited with code " + this.process.exitValue()
						+ " before it was ready; log " + this.logFile + ":\n" + logTail(40));
			}
			try {
				RawHttp.Response response = new RawHttp(this.port).get("/actuator/health/readiness");
				if (response.status() == 200) {
					return this;
				}
				last = "status " + response.status();
			}
			catch (IOException ex) {
				last = ex.toString();
			}
			sleep(Duration.ofMillis(100));
		}
		throw new IllegalStateException(this.name + " not ready within " + timeout + " (last: " + last + "); log "
				+ this.logFile + ":\n" + logTail(40));
	}

	/**
	 * Send SIGTERM, as a platform does to stop a container.
	 */
	void sigterm() {
		// On Linux Process.destroy() is SIGTERM; destroyForcibly() would be SIGKILL.
		this.process.destroy();
	}

	/**
	 * Wait for the process to exit on its own.
	 * @param timeout how long to wait at most
	 * @return the exit code
	 * @throws IllegalStateException if the process is still running after the timeout
	 */
	int awaitExit(Duration timeout) {
		try {
			if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
				throw new IllegalStateException(this.name + " still running " + timeout
						+ " after it was asked to stop; log " + this.logFile + ":\n" + logTail(40));
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while waiting for " + this.name + " to exit", ex);
		}
		alive.remove(this.process);
		return this.process.exitValue();
	}

	/**
	 * Return the log written so far.
	 * @return the whole log
	 */
	String log() {
		try {
			return Files.exists(this.logFile) ? Files.readString(this.logFile, StandardCharsets.UTF_8) : "";
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Return the last lines of the log, for failure messages.
	 * @param lines how many lines
	 * @return the lines
	 */
	String logTail(int lines) {
		List<String> all = log().lines().toList();
		return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
	}

	/**
	 * Wait until the log contains a line that matches.
	 * @param pattern what to look for
	 * @param timeout how long to wait at most
	 * @return the match
	 */
	Matcher awaitLog(Pattern pattern, Duration timeout) {
		long deadline = System.nanoTime() + timeout.toNanos();
		while (true) {
			Matcher matcher = pattern.matcher(log());
			if (matcher.find()) {
				return matcher;
			}
			if (System.nanoTime() - deadline >= 0) {
				throw new IllegalStateException("No log line matching '" + pattern + "' in " + this.name + " within "
						+ timeout + "; log " + this.logFile + ":\n" + logTail(40));
			}
			sleep(Duration.ofMillis(20));
		}
	}

	/**
	 * Kill the process if it is still running (SIGKILL) and wait for it to go.
	 */
	@Override
	public void close() {
		if (this.process.isAlive()) {
			this.process.destroyForcibly();
			try {
				this.process.waitFor(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
		alive.remove(this.process);
	}

	static void sleep(Duration duration) {
		try {
			Thread.sleep(duration.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted", ex);
		}
	}

	@Override
	public String toString() {
		return this.name + " (pid " + this.process.pid() + ", port " + this.port + ")";
	}

}
