package dev.graceful.shutdown.sample;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import dev.graceful.shutdown.testsupport.RawHttp;

/**
 * A real HAProxy in front of sample application instances, on 127.0.0.1 only, with its
 * stats page read to learn which servers it considers UP.
 */
final class HaproxyProcess implements AutoCloseable {

	/** Name of the backend in the generated configuration. */
	static final String BACKEND = "apps";

	private final Process process;

	private final Path logFile;

	private final int statsPort;

	private HaproxyProcess(Process process, Path logFile, int statsPort) {
		this.process = process;
		this.logFile = logFile;
		this.statsPort = statsPort;
	}

	/**
	 * Find the haproxy executable on the {@code PATH} or in the usual sbin directories.
	 * @return its path
	 * @throws IllegalStateException with instructions if it is not installed
	 */
	static Path executable() {
		String path = System.getenv().getOrDefault("PATH", "");
		List<String> directories = new ArrayList<>(List.of(path.split(File.pathSeparator)));
		directories.addAll(List.of("/usr/sbin", "/usr/local/sbin", "/sbin"));
		return directories.stream()
			.filter((directory) -> !directory.isEmpty())
			.map((directory) -> Path.of(directory, "haproxy"))
			.filter(Files::isExecutable)
			.findFirst()
			.orElseThrow(() -> new IllegalStateException(
					"haproxy is required: run scripts/test-all.sh, which installs it (looked in PATH and /usr/sbin)"));
	}

	/**
	 * Write a configuration to a temporary file and start HAProxy with it.
	 * @param mode {@code http} or {@code tcp}
	 * @param frontendPort the port clients connect to
	 * @param statsPort the port of the stats page
	 * @param servers server name to port of the instances behind it
	 * @param logFile where HAProxy's output and traffic log go
	 * @return the running HAProxy
	 */
	static HaproxyProcess start(String mode, int frontendPort, int statsPort, Map<String, Integer> servers,
			Path logFile) {
		try {
			Path config = Files.createTempFile("haproxy-" + mode + "-", ".cfg");
			config.toFile().deleteOnExit();
			Files.writeString(config, configuration(mode, frontendPort, statsPort, servers), StandardCharsets.UTF_8);
			Files.deleteIfExists(logFile);
			Process process = new ProcessBuilder(executable().toString(), "-db", "-f", config.toString())
				.redirectErrorStream(true)
				.redirectOutput(logFile.toFile())
				.start();
			return new HaproxyProcess(process, logFile, statsPort);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start haproxy", ex);
		}
	}

	static String configuration(String mode, int frontendPort, int statsPort, Map<String, Integer> servers) {
		StringBuilder config = new StringBuilder();
		config.append("global\n")
			.append("\tmaxconn 2000\n")
			.append("\tlog stdout format raw local0 info\n")
			.append("defaults\n")
			.append("\tmode ").append(mode).append('\n')
			.append("\tlog global\n")
			.append("\toption ").append(mode.equals("http") ? "httplog" : "tcplog").append('\n')
			.append("\toption log-health-checks\n")
			// Log only the sessions that went wrong: the ones a failed request can be traced to.
			.append("\toption dontlog-normal\n")
			// No second chance anywhere: a request the server fails to answer is a lost request.
			.append("\tretries 0\n")
			.append("\ttimeout connect 2s\n")
			.append("\ttimeout client 60s\n")
			.append("\ttimeout server 60s\n")
			.append("\ttimeout check 2s\n")
			.append("\tdefault-server inter 500 fall 2 rise 2\n")
			.append("frontend web\n")
			.append("\tbind 127.0.0.1:").append(frontendPort).append('\n')
			.append("\tdefault_backend ").append(BACKEND).append('\n')
			.append("backend ").append(BACKEND).append('\n')
			.append("\tbalance roundrobin\n")
			.append("\toption httpchk GET /actuator/health/readiness\n")
			.append("\thttp-check expect status 200\n");
		servers.forEach((name, port) -> config.append("\tserver ")
			.append(name)
			.append(" 127.0.0.1:")
			.append(port)
			.append(" check\n"));
		config.append("listen stats\n")
			.append("\tbind 127.0.0.1:").append(statsPort).append('\n')
			.append("\tmode http\n")
			.append("\tstats enable\n")
			.append("\tstats uri /stats\n");
		return config.toString();
	}

	Path logFile() {
		return this.logFile;
	}

	/**
	 * Return the status HAProxy reports for each server of the backend.
	 * @return server name to status ({@code UP}, {@code DOWN}, {@code UP 1/2}, ...)
	 * @throws IOException if the stats page cannot be read
	 */
	Map<String, String> serverStatuses() throws IOException {
		return serverColumn("status");
	}

	/**
	 * Return the sessions each server of the backend is serving now: a long-lived stream
	 * counts as one until it ends, an idle keep-alive connection as none.
	 * @return server name to current sessions
	 * @throws IOException if the stats page cannot be read
	 */
	Map<String, Integer> currentSessions() throws IOException {
		Map<String, Integer> sessions = new LinkedHashMap<>();
		serverColumn("scur").forEach((server, value) -> sessions.put(server, Integer.valueOf(value)));
		return sessions;
	}

	private Map<String, String> serverColumn(String column) throws IOException {
		RawHttp.Response response = new RawHttp(this.statsPort).get("/stats;csv");
		if (response.status() != 200) {
			throw new IOException("stats page answered " + response.status());
		}
		List<String> lines = response.body().lines().toList();
		if (lines.isEmpty() || !lines.get(0).startsWith("# ")) {
			throw new IOException("unexpected stats page: " + response.body());
		}
		List<String> columns = List.of(lines.get(0).substring(2).split(","));
		int proxy = columns.indexOf("pxname");
		int server = columns.indexOf("svname");
		int value = columns.indexOf(column);
		Map<String, String> values = new LinkedHashMap<>();
		for (String line : lines.subList(1, lines.size())) {
			String[] fields = line.split(",", -1);
			if (fields.length > value && fields[proxy].equals(BACKEND) && !fields[server].equals("BACKEND")) {
				values.put(fields[server], fields[value]);
			}
		}
		return values;
	}

	/**
	 * Wait until HAProxy reports a server UP.
	 * @param server the server name
	 * @param timeout how long to wait at most
	 * @param stillWorthWaiting checked on every poll; when false the wait fails at once
	 * (the instance died)
	 */
	void awaitUp(String server, Duration timeout, BooleanSupplier stillWorthWaiting) {
		long deadline = System.nanoTime() + timeout.toNanos();
		String last = "unknown";
		while (System.nanoTime() - deadline < 0) {
			if (!this.process.isAlive()) {
				throw new IllegalStateException("haproxy exited with code " + this.process.exitValue() + "; log "
						+ this.logFile + ":\n" + log());
			}
			if (!stillWorthWaiting.getAsBoolean()) {
				throw new IllegalStateException(
						"Gave up waiting for " + server + " to be UP (last status " + last + ")");
			}
			try {
				last = serverStatuses().getOrDefault(server, "missing");
				if (last.equals("UP")) {
					return;
				}
			}
			catch (IOException ex) {
				last = ex.toString();
			}
			SampleAppProcess.sleep(Duration.ofMillis(100));
		}
		throw new IllegalStateException(server + " not UP in HAProxy within " + timeout + " (last status " + last
				+ "); log " + this.logFile);
	}

	/**
	 * Return HAProxy's output so far.
	 * @return the log
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
	 * Return the traffic log lines HAProxy wrote: with {@code option dontlog-normal}
	 * only sessions that ended abnormally (errors, aborts, 5xx) are logged.
	 * @return the abnormal sessions
	 */
	List<String> abnormalSessions() {
		try (Stream<String> lines = log().lines()) {
			return lines.filter((line) -> line.contains(" web " + BACKEND + "/")).toList();
		}
	}

	/**
	 * Stop HAProxy at once and wait for it to go.
	 */
	@Override
	public void close() {
		if (this.process.isAlive()) {
			this.process.destroy();
			try {
				if (!this.process.waitFor(5, TimeUnit.SECONDS)) {
					this.process.destroyForcibly();
					this.process.waitFor(5, TimeUnit.SECONDS);
				}
			}
			catch (InterruptedException ex) {
				this.process.destroyForcibly();
				Thread.currentThread().interrupt();
			}
		}
	}

}
