package dev.graceful.shutdown.budget;

import java.time.Duration;

import dev.graceful.shutdown.ShutdownProgress;

/**
 * The overall shutdown budget ({@code graceful.shutdown.timeout}), counted from the
 * earlier of the JVM starting to exit and the application context starting to close.
 * Each step's own timeout is capped by what is left of it, less what the later steps
 * reserve.
 */
public final class ShutdownBudget {

	private final Duration total;

	private final ShutdownProgress progress;

	public ShutdownBudget(Duration total, ShutdownProgress progress) {
		this.total = total;
		this.progress = progress;
	}

	/**
	 * Return the whole budget.
	 * @return the budget
	 */
	public Duration total() {
		return this.total;
	}

	/**
	 * Return what is left of the budget.
	 * @return the remaining time, never negative
	 */
	public Duration remaining() {
		if (!this.progress.isShuttingDown() && ShutdownWatchdog.jvmShutdownStartNanos() == 0) {
			return this.total;
		}
		long start = this.progress.isShuttingDown() ? this.progress.startNanos() : System.nanoTime();
		long signal = ShutdownWatchdog.jvmShutdownStartNanos();
		if (signal != 0 && signal - start < 0) {
			start = signal;
		}
		Duration remaining = this.total.minusNanos(System.nanoTime() - start);
		return remaining.isNegative() ? Duration.ZERO : remaining;
	}

	/**
	 * Cap a step's own timeout by what is left of the budget once the later steps'
	 * reserve is set aside.
	 * @param own the step's own timeout
	 * @param reserve what the later steps need
	 * @return the timeout to apply, never negative
	 */
	public Duration cap(Duration own, Duration reserve) {
		Duration available = remaining().minus(reserve);
		if (available.isNegative()) {
			return Duration.ZERO;
		}
		return (own.compareTo(available) <= 0) ? own : available;
	}

}
