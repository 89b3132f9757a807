package dev.graceful.shutdown.timeline;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The timeline as configured, for the startup log line and the Actuator endpoint: how
 * long each step may take, with the platform's defaults applied. Derived from the
 * settings once they are checked; it neither binds nor checks anything itself.
 *
 * @param delay how long the lame-duck delay lasts at most
 * @param quietPeriod the quiet period that ends the delay early, or {@code null}
 * @param maxDrain the longest the HTTP drain can take within the budget
 * @param tasksTimeout how long the tasks step waits before cancelling
 * @param cleanupTimeout how long each cleanup may run unless it sets its own timeout
 * @param participantsTimeout how long each participant may take, or {@code null} for as
 * long as the budget allows
 * @param budget the overall budget
 * @param watchdogMargin how long past the budget the watchdog waits, or {@code null} if
 * the watchdog is off
 */
public record ShutdownPlan(Duration delay, @Nullable Duration quietPeriod, Duration maxDrain, Duration tasksTimeout,
		Duration cleanupTimeout, @Nullable Duration participantsTimeout, Duration budget,
		@Nullable Duration watchdogMargin) {

	/**
	 * Return the grace period the platform must allow: the budget plus the watchdog
	 * margin, in whole seconds, rounded up.
	 * @return the seconds to set as {@code terminationGracePeriodSeconds} at least
	 */
	public long requiredGracePeriodSeconds() {
		Duration total = (this.watchdogMargin != null) ? this.budget.plus(this.watchdogMargin) : this.budget;
		return (total.toMillis() + 999) / 1000;
	}

}
