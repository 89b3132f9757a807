package dev.graceful.shutdown.timeline;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The overall shutdown budget ({@code graceful.shutdown.timeout}), counted from the
 * earlier of the JVM starting to exit and the application context starting to close.
 * Each step's own timeout is capped by what is left of it, less what the later steps
 * reserve.
 */
public final class ShutdownBudget {

	private final Duration total;

	// 0 until the clock starts: System.nanoTime() values are never stored as 0.
	private final AtomicLong startNanos = new AtomicLong();

	/**
	 * Create a budget.
	 * @param total the whole budget
	 */
	public ShutdownBudget(Duration total) {
		this.total = total;
	}

	/**
	 * Start the clock, unless it started earlier: the JVM starting to exit and the
	 * context starting to close both start it, whichever comes first.
	 * @param nanos the {@link System#nanoTime()} at which the shutdown started
	 */
	public void startClock(long nanos) {
		long start = (nanos != 0) ? nanos : 1;
		this.startNanos.accumulateAndGet(start,
				(current, candidate) -> (current == 0 || candidate - current < 0) ? candidate : current);
	}

	/**
	 * Return when the clock started.
	 * @return its {@link System#nanoTime()}, or {@code 0} if the shutdown has not started
	 */
	public long startNanos() {
		return this.startNanos.get();
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
	 * @return the remaining time, never negative; the whole budget before the shutdown
	 */
	public Duration remaining() {
		long start = this.startNanos.get();
		if (start == 0) {
			return this.total;
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
