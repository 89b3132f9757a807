package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.cloud.CloudPlatform;
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
 * @param tasksTimeout how long to wait for background work before cancelling it
 * @param tasksCancelGrace how long to wait after cancelling before abandoning
 * @param cleanupTimeout how long each cleanup may run unless it sets its own timeout
 */
public record ShutdownPlan(Duration delay, @Nullable Duration quietPeriod, boolean connectionClose,
		Duration tasksTimeout, Duration tasksCancelGrace, Duration cleanupTimeout) {

	/** Delay used on Kubernetes when none is configured. */
	public static final Duration KUBERNETES_DEFAULT_DELAY = Duration.ofSeconds(10);

	static ShutdownPlan of(GracefulShutdownProperties properties, Environment environment) {
		Duration delay = properties.getDelay();
		if (delay == null) {
			delay = (CloudPlatform.getActive(environment) == CloudPlatform.KUBERNETES) ? KUBERNETES_DEFAULT_DELAY
					: Duration.ZERO;
		}
		if (delay.isNegative()) {
			throw new InvalidShutdownPropertyException("graceful.shutdown.delay", "'" + delay + "' is negative",
					"Set graceful.shutdown.delay to zero (no delay) or to a positive duration such as 10s.");
		}
		Duration quietPeriod = properties.getQuietPeriod();
		if (quietPeriod != null) {
			if (quietPeriod.isNegative() || quietPeriod.isZero()) {
				throw new InvalidShutdownPropertyException("graceful.shutdown.quiet-period",
						"'" + quietPeriod + "' is not positive",
						"Set graceful.shutdown.quiet-period to a positive duration such as 2s, or remove it to always serve the full delay.");
			}
			if (quietPeriod.compareTo(delay) > 0) {
				throw new InvalidShutdownPropertyException("graceful.shutdown.quiet-period",
						"'" + quietPeriod + "' is longer than graceful.shutdown.delay ('" + delay
								+ "'), so it could never end the delay early",
						"Set graceful.shutdown.quiet-period shorter than graceful.shutdown.delay, or raise graceful.shutdown.delay.");
			}
		}
		Duration tasksTimeout = requirePositive("graceful.shutdown.tasks.timeout", properties.getTasks().getTimeout(),
				"10s");
		Duration cancelGrace = properties.getTasks().getCancelGrace();
		if (cancelGrace.isNegative()) {
			throw new InvalidShutdownPropertyException("graceful.shutdown.tasks.cancel-grace",
					"'" + cancelGrace + "' is negative",
					"Set graceful.shutdown.tasks.cancel-grace to zero or a positive duration such as 1s.");
		}
		Duration cleanupTimeout = requirePositive("graceful.shutdown.cleanup.timeout",
				properties.getCleanup().getTimeout(), "5s");
		return new ShutdownPlan(delay, quietPeriod, properties.getWeb().isConnectionClose(), tasksTimeout, cancelGrace,
				cleanupTimeout);
	}

	private static Duration requirePositive(String property, Duration value, String example) {
		if (value.isNegative() || value.isZero()) {
			throw new InvalidShutdownPropertyException(property, "'" + value + "' is not positive",
					"Set " + property + " to a positive duration such as " + example + ".");
		}
		return value;
	}

}
