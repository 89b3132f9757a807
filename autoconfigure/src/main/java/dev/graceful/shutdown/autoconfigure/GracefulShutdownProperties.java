package dev.graceful.shutdown.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties for graceful shutdown.
 */
@ConfigurationProperties("graceful.shutdown")
public class GracefulShutdownProperties {

	/**
	 * Whether to handle the shutdown gracefully. When false, Spring Boot's own shutdown
	 * applies unchanged.
	 */
	private boolean enabled = true;

	/**
	 * How long to keep serving after the shutdown starts, while readiness reports
	 * OUT_OF_SERVICE, so that load balancers stop routing before the server stops
	 * accepting connections. Defaults to 10s on Kubernetes and to 0 elsewhere.
	 */
	private @Nullable Duration delay;

	/**
	 * End the delay early once no new request has arrived for this long. Never longer
	 * than the delay. When not set, the full delay is always served.
	 */
	private @Nullable Duration quietPeriod;

	/**
	 * Overall budget for the whole shutdown, from SIGTERM to exit. Each step's timeout is
	 * capped by what is left of it; the watchdog halts the JVM if it is exceeded.
	 */
	private Duration timeout = Duration.ofSeconds(30);

	private final Web web = new Web();

	private final Watchdog watchdog = new Watchdog();

	private final Report report = new Report();

	private final Cleanup cleanup = new Cleanup();

	private final Tasks tasks = new Tasks();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public @Nullable Duration getDelay() {
		return this.delay;
	}

	public void setDelay(@Nullable Duration delay) {
		this.delay = delay;
	}

	public @Nullable Duration getQuietPeriod() {
		return this.quietPeriod;
	}

	public void setQuietPeriod(@Nullable Duration quietPeriod) {
		this.quietPeriod = quietPeriod;
	}

	public Duration getTimeout() {
		return this.timeout;
	}

	public void setTimeout(Duration timeout) {
		this.timeout = timeout;
	}

	public Web getWeb() {
		return this.web;
	}

	public Watchdog getWatchdog() {
		return this.watchdog;
	}

	public Report getReport() {
		return this.report;
	}

	public Cleanup getCleanup() {
		return this.cleanup;
	}

	public Tasks getTasks() {
		return this.tasks;
	}

	/**
	 * Web server settings.
	 */
	public static class Web {

		/**
		 * Whether every HTTP/1.1 response sent once the shutdown has started carries
		 * "Connection: close", so that keep-alive clients reconnect through the load
		 * balancer to another instance.
		 */
		private boolean connectionClose = true;

		/**
		 * Path prefixes of requests that do not count as traffic for the quiet period,
		 * because health checks keep coming after balancers stop routing. Defaults to the
		 * Actuator base path.
		 */
		private List<String> quietPeriodIgnoredPaths = new ArrayList<>();

		public List<String> getQuietPeriodIgnoredPaths() {
			return this.quietPeriodIgnoredPaths;
		}

		public void setQuietPeriodIgnoredPaths(List<String> quietPeriodIgnoredPaths) {
			this.quietPeriodIgnoredPaths = quietPeriodIgnoredPaths;
		}

		public boolean isConnectionClose() {
			return this.connectionClose;
		}

		public void setConnectionClose(boolean connectionClose) {
			this.connectionClose = connectionClose;
		}

	}

	/**
	 * Cleanup settings.
	 */
	public static class Cleanup {

		/**
		 * How long each cleanup may run before it is interrupted and recorded as timed
		 * out, unless its @OnShutdown(timeout) says otherwise.
		 */
		private Duration timeout = Duration.ofSeconds(5);

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

	}

	/**
	 * Background work settings.
	 */
	public static class Tasks {

		/**
		 * How long to wait, after the HTTP drain, for background work (tracked executors'
		 * queued and running tasks, and units started with WorkTracker) before cancelling
		 * it.
		 */
		private Duration timeout = Duration.ofSeconds(10);

		/**
		 * How long to wait after cancelling (interrupting) the remaining work before
		 * abandoning it and naming it in the report.
		 */
		private Duration cancelGrace = Duration.ofSeconds(1);

		/**
		 * Whether ThreadPoolTaskExecutor and ThreadPoolTaskScheduler beans keep accepting
		 * tasks until the HTTP drain is over and have their tasks awaited.
		 */
		private boolean trackExecutors = true;

		/**
		 * Names of executor or scheduler beans to leave under Spring's own shutdown.
		 */
		private List<String> excludedExecutors = new ArrayList<>();

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public Duration getCancelGrace() {
			return this.cancelGrace;
		}

		public void setCancelGrace(Duration cancelGrace) {
			this.cancelGrace = cancelGrace;
		}

		public boolean isTrackExecutors() {
			return this.trackExecutors;
		}

		public void setTrackExecutors(boolean trackExecutors) {
			this.trackExecutors = trackExecutors;
		}

		public List<String> getExcludedExecutors() {
			return this.excludedExecutors;
		}

		public void setExcludedExecutors(List<String> excludedExecutors) {
			this.excludedExecutors = excludedExecutors;
		}

	}

	/**
	 * Watchdog settings.
	 */
	public static class Watchdog {

		/**
		 * Whether to halt the JVM, after logging what is still running and a thread dump,
		 * when the shutdown outlives graceful.shutdown.timeout plus the margin. Only a
		 * JVM that is exiting (SIGTERM, Ctrl+C, System.exit) is ever halted.
		 */
		private boolean enabled = true;

		/**
		 * How long past graceful.shutdown.timeout the watchdog waits before halting.
		 */
		private Duration margin = Duration.ofSeconds(2);

		/**
		 * Exit code of a JVM halted by the watchdog.
		 */
		private int exitCode = 124;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getMargin() {
			return this.margin;
		}

		public void setMargin(Duration margin) {
			this.margin = margin;
		}

		public int getExitCode() {
			return this.exitCode;
		}

		public void setExitCode(int exitCode) {
			this.exitCode = exitCode;
		}

	}

	/**
	 * Report settings.
	 */
	public static class Report {

		/**
		 * File to write the JSON report of each shutdown to, readable by its owner only.
		 * The next start shows it in the gracefulshutdown endpoint as the previous
		 * report. When not set, no file is written.
		 */
		private @Nullable Path file;

		public @Nullable Path getFile() {
			return this.file;
		}

		public void setFile(@Nullable Path file) {
			this.file = file;
		}

	}

}
