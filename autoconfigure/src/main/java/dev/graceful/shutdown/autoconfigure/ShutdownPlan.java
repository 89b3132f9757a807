package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The shutdown timeline as configured: the properties with their platform-dependent
 * defaults resolved and checked. Built once at startup; an impossible combination fails
 * the startup with {@link InvalidShutdownPropertyException}.
 *
 * @param delay how long the lame-duck delay lasts at most
 * @param quietPeriod the quiet period that ends the delay early, or {@code null}
 * @param connectionClose whether responses carry {@code Connection: close} once the
 * shutdown has started
 * @param quietPeriodIgnoredPaths path prefixes whose requests do not count as traffic for
 * the quiet period
 * @param drainTimeout Spring's own bound on the drain phase
 * ({@code spring.lifecycle.timeout-per-shutdown-phase})
 * @param tasksTimeout how long to wait for background work before cancelling it
 * @param tasksCancelGrace how long to wait after cancelling before abandoning
 * @param cleanupTimeout how long each cleanup may run unless it sets its own timeout
 * @param budget the overall shutdown budget
 * @param watchdogEnabled whether the watchdog halts an overdue shutdown
 * @param watchdogMargin how long past the budget the watchdog waits
 * @param watchdogExitCode the exit code the watchdog halts with
 */
public record ShutdownPlan(Duration delay, @Nullable Duration quietPeriod, boolean connectionClose,
		List<String> quietPeriodIgnoredPaths, Duration drainTimeout, Duration tasksTimeout, Duration tasksCancelGrace, Duration cleanupTimeout,
		Duration budget, boolean watchdogEnabled, Duration watchdogMargin, int watchdogExitCode) {

	public ShutdownPlan {
		quietPeriodIgnoredPaths = List.copyOf(quietPeriodIgnoredPaths);
	}

	/** Delay used on Kubernetes when none is configured. */
	public static final Duration KUBERNETES_DEFAULT_DELAY = Duration.ofSeconds(10);

	private static final Duration SPRING_DEFAULT_PHASE_TIMEOUT = Duration.ofSeconds(30);

	/**
	 * Return the longest the drain can take within the budget.
	 * @return the drain's upper bound
	 */
	public Duration maxDrain() {
		Duration available = this.budget.minus(this.delay).minus(reserveAfterDrain());
		return (this.drainTimeout.compareTo(available) <= 0) ? this.drainTimeout : available;
	}

	/**
	 * Return the time the steps after the drain keep for themselves.
	 * @return the tasks timeout plus one cleanup timeout
	 */
	public Duration reserveAfterDrain() {
		return this.tasksTimeout.plus(this.cleanupTimeout);
	}

	/**
	 * Return the grace period the platform must allow: the budget plus the watchdog
	 * margin, in whole seconds, rounded up.
	 * @return the seconds to set as {@code terminationGracePeriodSeconds} at least
	 */
	public long requiredGracePeriodSeconds() {
		Duration total = this.budget.plus(this.watchdogEnabled ? this.watchdogMargin : Duration.ZERO);
		return (total.toMillis() + 999) / 1000;
	}

	static ShutdownPlan of(GracefulShutdownProperties properties, Environment environment) {
		Duration delay = properties.getDelay();
		if (delay == null) {
			delay = (CloudPlatform.getActive(environment) == CloudPlatform.KUBERNETES) ? KUBERNETES_DEFAULT_DELAY
					: Duration.ZERO;
		}
		if (delay.isNegative()) {
			throw new InvalidShutdownPropertyException("graceful.shutdown.delay", "'" + print(delay) + "' is negative",
					"Set graceful.shutdown.delay to zero (no delay) or to a positive duration such as 10s.");
		}
		Duration quietPeriod = properties.getQuietPeriod();
		if (quietPeriod != null && properties.getDelay() == null && delay.isZero()) {
			// Off Kubernetes the default delay is zero: a quiet period meant for the
			// Kubernetes default has nothing to shorten.
			quietPeriod = null;
		}
		if (quietPeriod != null) {
			if (quietPeriod.isNegative() || quietPeriod.isZero()) {
				throw new InvalidShutdownPropertyException("graceful.shutdown.quiet-period",
						"'" + print(quietPeriod) + "' is not positive",
						"Set graceful.shutdown.quiet-period to a positive duration such as 2s, or remove it to always serve the full delay.");
			}
			if (quietPeriod.compareTo(delay) > 0) {
				throw new InvalidShutdownPropertyException("graceful.shutdown.quiet-period",
						"'" + print(quietPeriod) + "' is longer than graceful.shutdown.delay ('" + print(delay)
								+ "'), so it could never end the delay early",
						"Set graceful.shutdown.quiet-period shorter than graceful.shutdown.delay, or raise graceful.shutdown.delay.");
			}
		}
		Duration tasksTimeout = requirePositive("graceful.shutdown.tasks.timeout", properties.getTasks().getTimeout(),
				"10s");
		Duration cancelGrace = properties.getTasks().getCancelGrace();
		if (cancelGrace.isNegative()) {
			throw new InvalidShutdownPropertyException("graceful.shutdown.tasks.cancel-grace",
					"'" + print(cancelGrace) + "' is negative",
					"Set graceful.shutdown.tasks.cancel-grace to zero or a positive duration such as 1s.");
		}
		Duration cleanupTimeout = requirePositive("graceful.shutdown.cleanup.timeout",
				properties.getCleanup().getTimeout(), "5s");
		Duration budget = requirePositive("graceful.shutdown.timeout", properties.getTimeout(), "30s");
		Duration steps = delay.plus(tasksTimeout).plus(cleanupTimeout);
		if (steps.compareTo(budget) >= 0) {
			throw new InvalidShutdownPropertyException("graceful.shutdown.timeout",
					"graceful.shutdown.delay (" + print(delay) + ") + graceful.shutdown.tasks.timeout ("
							+ print(tasksTimeout) + ") + graceful.shutdown.cleanup.timeout (" + print(cleanupTimeout)
							+ ") = " + print(steps) + " is not less than graceful.shutdown.timeout (" + print(budget)
							+ "), which leaves no time for the HTTP drain",
					"Raise graceful.shutdown.timeout above " + print(steps)
							+ " (and the platform's grace period, e.g. terminationGracePeriodSeconds, with it), or lower the step timeouts.");
		}
		GracefulShutdownProperties.Watchdog watchdog = properties.getWatchdog();
		if (watchdog.getMargin().isNegative()) {
			throw new InvalidShutdownPropertyException("graceful.shutdown.watchdog.margin",
					"'" + print(watchdog.getMargin()) + "' is negative",
					"Set graceful.shutdown.watchdog.margin to zero or a positive duration such as 2s.");
		}
		if (watchdog.getExitCode() < 1 || watchdog.getExitCode() > 255) {
			throw new InvalidShutdownPropertyException("graceful.shutdown.watchdog.exit-code",
					"'" + watchdog.getExitCode() + "' is not an exit code between 1 and 255",
					"Set graceful.shutdown.watchdog.exit-code between 1 and 255 (default 124).");
		}
		Duration drainTimeout = Binder.get(environment)
			.bind("spring.lifecycle.timeout-per-shutdown-phase", Bindable.of(Duration.class))
			.orElse(SPRING_DEFAULT_PHASE_TIMEOUT);
		List<String> ignoredPaths = properties.getWeb().getQuietPeriodIgnoredPaths();
		if (ignoredPaths.isEmpty()) {
			String basePath = environment.getProperty("management.endpoints.web.base-path", "/actuator");
			ignoredPaths = List.of(basePath.endsWith("/") ? basePath : basePath + "/");
		}
		return new ShutdownPlan(delay, quietPeriod, properties.getWeb().isConnectionClose(), ignoredPaths, drainTimeout,
				tasksTimeout, cancelGrace, cleanupTimeout, budget, watchdog.isEnabled(), watchdog.getMargin(),
				watchdog.getExitCode());
	}

	private static String print(Duration duration) {
		return (duration.toMillis() % 1000 == 0) ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
	}

	private static Duration requirePositive(String property, Duration value, String example) {
		if (value.isNegative() || value.isZero()) {
			throw new InvalidShutdownPropertyException(property, "'" + print(value) + "' is not positive",
					"Set " + property + " to a positive duration such as " + example + ".");
		}
		return value;
	}

}
