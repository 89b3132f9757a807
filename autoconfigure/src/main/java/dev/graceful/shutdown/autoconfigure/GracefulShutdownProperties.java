package dev.graceful.shutdown.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.core.env.Environment;

import dev.graceful.shutdown.timeline.ShutdownPlan;

/**
 * Configuration properties for graceful shutdown: the one place that binds, defaults and
 * checks {@code graceful.shutdown.*}. Beans get it bound by Spring Boot; what runs before
 * there are beans (the watchdog, the environment defaults, bean post-processors) binds it
 * with {@link #bind(Environment)}. The delay's default depends on the platform, so the
 * values in effect come from {@link #delay(CloudPlatform)} and
 * {@link #quietPeriod(CloudPlatform)}, and {@link #check(CloudPlatform)} rejects what
 * cannot work.
 */
@ConfigurationProperties(GracefulShutdownProperties.PREFIX)
public class GracefulShutdownProperties {

	/** Prefix of the properties. */
	public static final String PREFIX = "graceful.shutdown";

	/** Whether the starter handles the shutdown, the switch of every auto-configuration. */
	static final String ENABLED = PREFIX + ".enabled";

	/** The budget, read by the watchdog installer. */
	static final String TIMEOUT = PREFIX + ".timeout";

	/** The watchdog's settings, read by the watchdog installer. */
	static final String WATCHDOG = PREFIX + ".watchdog";

	/** Read by the watchdog installer, as the three below. */
	static final String WATCHDOG_ENABLED = WATCHDOG + ".enabled";

	static final String WATCHDOG_MARGIN = WATCHDOG + ".margin";

	static final String WATCHDOG_EXIT_CODE = WATCHDOG + ".exit-code";

	/**
	 * The defaults, as constants so that the watchdog installer, which binds its keys
	 * before there are beans, reads them without loading this class.
	 */
	static final long DEFAULT_TIMEOUT_SECONDS = 30;

	static final long DEFAULT_WATCHDOG_MARGIN_SECONDS = 2;

	static final int DEFAULT_WATCHDOG_EXIT_CODE = 124;

	/** Whether meter registries are closed after the report, the switch of that bean. */
	static final String DEFER_REGISTRY_CLOSE = PREFIX + ".metrics.defer-registry-close";

	/** Whether message listener containers join the timeline, the switch of that step. */
	static final String MESSAGING_ENABLED = PREFIX + ".messaging.enabled";

	/** Where the report is written, the switch of the report file. */
	static final String REPORT_FILE = PREFIX + ".report.file";

	/** Whether the application leaves service discovery as the shutdown starts. */
	static final String DISCOVERY_ENABLED = PREFIX + ".discovery.enabled";

	/** Whether the SSE and WebSocket streams are handed off. */
	static final String STREAMS_ENABLED = PREFIX + ".web.streams.enabled";

	/** Whether Spring's executors are tracked. */
	static final String TRACK_EXECUTORS = PREFIX + ".tasks.track-executors";

	/** Whether the health contributor is on, and the default for every contributor. */
	static final String HEALTH_ENABLED = "management.health.gracefulshutdown.enabled";

	static final String HEALTH_DEFAULTS_ENABLED = "management.health.defaults.enabled";

	/** Delay used on Kubernetes when none is configured. */
	public static final Duration KUBERNETES_DEFAULT_DELAY = Duration.ofSeconds(10);

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
	private Duration timeout = Duration.ofSeconds(DEFAULT_TIMEOUT_SECONDS);

	private final Web web = new Web();

	private final Watchdog watchdog = new Watchdog();

	private final Report report = new Report();

	private final Cleanup cleanup = new Cleanup();

	private final Tasks tasks = new Tasks();

	private final Participants participants = new Participants();

	private final Messaging messaging = new Messaging();

	private final Metrics metrics = new Metrics();

	private final Discovery discovery = new Discovery();

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

	public Participants getParticipants() {
		return this.participants;
	}

	public Messaging getMessaging() {
		return this.messaging;
	}

	public Metrics getMetrics() {
		return this.metrics;
	}

	public Discovery getDiscovery() {
		return this.discovery;
	}

	/**
	 * Return the delay in effect: the configured one, or 10s on Kubernetes and zero
	 * elsewhere.
	 * @param platform the platform the application runs on, or {@code null}
	 * @return the delay
	 */
	public Duration delay(@Nullable CloudPlatform platform) {
		if (this.delay != null) {
			return this.delay;
		}
		return (platform == CloudPlatform.KUBERNETES) ? KUBERNETES_DEFAULT_DELAY : Duration.ZERO;
	}

	/**
	 * Return the quiet period in effect: the configured one, except where the delay
	 * defaults to zero (off Kubernetes), which a quiet period meant for the Kubernetes
	 * default has nothing to shorten.
	 * @param platform the platform the application runs on, or {@code null}
	 * @return the quiet period, or {@code null} for none
	 */
	public @Nullable Duration quietPeriod(@Nullable CloudPlatform platform) {
		return (this.delay == null && delay(platform).isZero()) ? null : this.quietPeriod;
	}

	/**
	 * Return the part of the budget the steps after the HTTP drain and the participants
	 * keep for themselves.
	 * @return the tasks timeout plus one cleanup timeout
	 */
	public Duration reserveAfterDrain() {
		return this.tasks.getTimeout().plus(this.cleanup.getTimeout());
	}

	/**
	 * Return the timeline these settings plan.
	 * @param platform the platform the application runs on, or {@code null}
	 * @param drainPhaseTimeout Spring's own bound on the drain phase
	 * ({@code spring.lifecycle.timeout-per-shutdown-phase})
	 * @return the plan
	 */
	public ShutdownPlan plan(@Nullable CloudPlatform platform, Duration drainPhaseTimeout) {
		Duration delay = delay(platform);
		Duration available = this.timeout.minus(delay).minus(reserveAfterDrain());
		Duration maxDrain = (drainPhaseTimeout.compareTo(available) <= 0) ? drainPhaseTimeout : available;
		return new ShutdownPlan(delay, quietPeriod(platform), maxDrain, this.tasks.getTimeout(),
				this.cleanup.getTimeout(), this.participants.getTimeout(), this.timeout,
				this.watchdog.isEnabled() ? this.watchdog.getMargin() : null);
	}

	/**
	 * Reject values that cannot work, naming the property and the fix.
	 * @param platform the platform the application runs on, or {@code null}
	 * @throws InvalidShutdownPropertyException on the first such value
	 */
	public void check(@Nullable CloudPlatform platform) {
		Duration delay = delay(platform);
		if (delay.isNegative()) {
			throw InvalidShutdownPropertyException.of("graceful.shutdown.delay", "'" + print(delay) + "' is negative",
					"Set graceful.shutdown.delay to zero (no delay) or to a positive duration such as 10s.");
		}
		Duration quietPeriod = quietPeriod(platform);
		if (quietPeriod != null) {
			if (quietPeriod.isNegative() || quietPeriod.isZero()) {
				throw InvalidShutdownPropertyException.of("graceful.shutdown.quiet-period",
						"'" + print(quietPeriod) + "' is not positive",
						"Set graceful.shutdown.quiet-period to a positive duration such as 2s, or remove it to always serve the full delay.");
			}
			if (quietPeriod.compareTo(delay) > 0) {
				throw InvalidShutdownPropertyException.of("graceful.shutdown.quiet-period",
						"'" + print(quietPeriod) + "' is longer than graceful.shutdown.delay ('" + print(delay)
								+ "'), so it could never end the delay early",
						"Set graceful.shutdown.quiet-period shorter than graceful.shutdown.delay, or raise graceful.shutdown.delay.");
			}
		}
		requirePositive("graceful.shutdown.tasks.timeout", this.tasks.getTimeout(), "10s");
		requireNotNegative("graceful.shutdown.tasks.cancel-grace", this.tasks.getCancelGrace(), "1s");
		requirePositive("graceful.shutdown.cleanup.timeout", this.cleanup.getTimeout(), "5s");
		Duration participantsTimeout = this.participants.getTimeout();
		if (participantsTimeout != null) {
			requirePositive("graceful.shutdown.participants.timeout", participantsTimeout, "20s");
		}
		requireNotNegative("graceful.shutdown.participants.cancel-grace", this.participants.getCancelGrace(), "1s");
		requirePositive("graceful.shutdown.timeout", this.timeout, "30s");
		Duration steps = delay.plus(reserveAfterDrain());
		if (steps.compareTo(this.timeout) >= 0) {
			throw InvalidShutdownPropertyException.of("graceful.shutdown.timeout",
					"graceful.shutdown.delay (" + print(delay) + ") + graceful.shutdown.tasks.timeout ("
							+ print(this.tasks.getTimeout()) + ") + graceful.shutdown.cleanup.timeout ("
							+ print(this.cleanup.getTimeout()) + ") = " + print(steps)
							+ " is not less than graceful.shutdown.timeout (" + print(this.timeout)
							+ "), which leaves no time for the HTTP drain",
					"Raise graceful.shutdown.timeout above " + print(steps)
							+ " (and the platform's grace period, e.g. terminationGracePeriodSeconds, with it), or lower the step timeouts.");
		}
		requirePositive("graceful.shutdown.discovery.timeout", this.discovery.getTimeout(), "5s");
		requireNotNegative("graceful.shutdown.watchdog.margin", this.watchdog.getMargin(), "2s");
		Duration spread = this.web.getStreams().getSpread();
		requireNotNegative("graceful.shutdown.web.streams.spread", spread, "5s");
		Duration drainTime = this.timeout.minus(steps);
		if (spread.compareTo(drainTime) >= 0) {
			throw InvalidShutdownPropertyException.of("graceful.shutdown.web.streams.spread",
					"'" + print(spread) + "' is not shorter than the time the budget leaves for the drain ("
							+ print(drainTime)
							+ ": graceful.shutdown.timeout minus the delay, the tasks and the cleanup timeouts)",
					"Lower graceful.shutdown.web.streams.spread below " + print(drainTime)
							+ ", or raise graceful.shutdown.timeout.");
		}
		Duration retry = this.web.getStreams().getLastEvent().getRetry();
		if (retry != null) {
			requireNotNegative("graceful.shutdown.web.streams.last-event.retry", retry, "1s");
		}
		if (this.watchdog.getExitCode() < 1 || this.watchdog.getExitCode() > 255) {
			throw InvalidShutdownPropertyException.of("graceful.shutdown.watchdog.exit-code",
					"'" + this.watchdog.getExitCode() + "' is not an exit code between 1 and 255",
					"Set graceful.shutdown.watchdog.exit-code between 1 and 255 (default 124).");
		}
	}

	private static String print(Duration duration) {
		return (duration.toMillis() % 1000 == 0) ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
	}

	private static void requirePositive(String property, Duration value, String example) {
		if (value.isNegative() || value.isZero()) {
			throw InvalidShutdownPropertyException.of(property, "'" + print(value) + "' is not positive",
					"Set " + property + " to a positive duration such as " + example + ".");
		}
	}

	private static void requireNotNegative(String property, Duration value, String example) {
		if (value.isNegative()) {
			throw InvalidShutdownPropertyException.of(property, "'" + print(value) + "' is negative",
					"Set " + property + " to zero or a positive duration such as " + example + ".");
		}
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

		private final Streams streams = new Streams();

		public Streams getStreams() {
			return this.streams;
		}

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
	 * Long-lived stream settings: server-sent event responses and WebSocket sessions,
	 * handed off when the drain starts instead of waited for.
	 */
	public static class Streams {

		/**
		 * Whether open SSE streams and WebSocket sessions are ended on purpose when the
		 * drain starts (a last event and a clean end, a close frame 1001 Going Away), so
		 * that clients reconnect to another instance instead of being cut at the timeout.
		 */
		private boolean enabled = true;

		/**
		 * Window the hand-off is spread over, evenly, so that the remaining instances do
		 * not take every reconnection in the same moment. Zero hands every stream off at
		 * once.
		 */
		private Duration spread = Duration.ZERO;

		/**
		 * Reason sent with the WebSocket close frame 1001 Going Away.
		 */
		private String closeReason = "server shutting down";

		private final LastEvent lastEvent = new LastEvent();

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getSpread() {
			return this.spread;
		}

		public void setSpread(Duration spread) {
			this.spread = spread;
		}

		public String getCloseReason() {
			return this.closeReason;
		}

		public void setCloseReason(String closeReason) {
			this.closeReason = closeReason;
		}

		public LastEvent getLastEvent() {
			return this.lastEvent;
		}

	}

	/**
	 * Last event of a server-sent event stream before it ends.
	 */
	public static class LastEvent {

		/**
		 * Whether a last event is sent before an SSE stream ends.
		 */
		private boolean enabled = true;

		/**
		 * Name of the last event (its "event:" field); empty for an unnamed event.
		 */
		private String name = "shutdown";

		/**
		 * Data of the last event (its "data:" field).
		 */
		private String data = "reconnect";

		/**
		 * Reconnection time hint sent with the last event (its "retry:" field); none if
		 * not set.
		 */
		private @Nullable Duration retry;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public String getName() {
			return this.name;
		}

		public void setName(String name) {
			this.name = name;
		}

		public String getData() {
			return this.data;
		}

		public void setData(String data) {
			this.data = data;
		}

		public @Nullable Duration getRetry() {
			return this.retry;
		}

		public void setRetry(@Nullable Duration retry) {
			this.retry = retry;
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
	 * Shutdown participant settings.
	 */
	public static class Participants {

		/**
		 * How long each shutdown participant may take, from the start of its shutdown,
		 * before it is cancelled. When not set, as long as the budget allows once the
		 * background work and the cleanups have their share.
		 */
		private @Nullable Duration timeout;

		/**
		 * How long to wait after cancelling a participant before abandoning its work and
		 * reporting it.
		 */
		private Duration cancelGrace = Duration.ofSeconds(1);

		public @Nullable Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(@Nullable Duration timeout) {
			this.timeout = timeout;
		}

		public Duration getCancelGrace() {
			return this.cancelGrace;
		}

		public void setCancelGrace(Duration cancelGrace) {
			this.cancelGrace = cancelGrace;
		}

	}

	/**
	 * Message listener settings.
	 */
	public static class Messaging {

		/**
		 * Whether Kafka, RabbitMQ and JMS listener containers are shutdown participants:
		 * they stop taking messages when the shutdown starts, beside the delay, finish the
		 * one each consumer is processing, hand back the rest of what was fetched and
		 * commit or acknowledge, each within the participants' deadline and reported as a
		 * step of its own. When false, Spring stops them as usual, before the delay.
		 */
		private boolean enabled = true;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

	/**
	 * Metrics settings.
	 */
	public static class Metrics {

		/**
		 * Whether to keep meter registries open until the shutdown is recorded, so that
		 * push registries publish the shutdown's meters. Spring Boot otherwise closes them
		 * when the context starts closing.
		 */
		private boolean deferRegistryClose = true;

		public boolean isDeferRegistryClose() {
			return this.deferRegistryClose;
		}

		public void setDeferRegistryClose(boolean deferRegistryClose) {
			this.deferRegistryClose = deferRegistryClose;
		}

	}

	/**
	 * Service discovery settings (Spring Cloud).
	 */
	public static class Discovery {

		/**
		 * Whether to deregister the application's Spring Cloud service registrations
		 * (Consul, ZooKeeper, Eureka, ...) as the shutdown starts, before the delay,
		 * instead of when their beans are destroyed after the HTTP drain.
		 */
		private boolean enabled = true;

		/**
		 * How long the registry may take to confirm the deregistration before the
		 * shutdown goes on without it.
		 */
		private Duration timeout = Duration.ofSeconds(5);

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
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
		private Duration margin = Duration.ofSeconds(DEFAULT_WATCHDOG_MARGIN_SECONDS);

		/**
		 * Exit code of a JVM halted by the watchdog.
		 */
		private int exitCode = DEFAULT_WATCHDOG_EXIT_CODE;

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
