package dev.graceful.shutdown.web;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import dev.graceful.shutdown.ShutdownProgress;

/**
 * Counts HTTP requests in and out, on every request, for the whole life of the
 * application. Two {@link LongAdder} updates and one volatile read per request; the
 * arrival time is taken only once the shutdown has started, for the quiet period.
 */
public final class RequestTracker {

	private final ShutdownProgress progress;

	private final LongAdder started = new LongAdder();

	private final LongAdder finished = new LongAdder();

	private volatile long lastArrivalNanos;

	private final List<String> ignoredPaths;

	/**
	 * Create a new tracker.
	 * @param progress the shutdown progress
	 * @param ignoredPaths path prefixes whose requests do not end the quiet period
	 */
	public RequestTracker(ShutdownProgress progress, List<String> ignoredPaths) {
		this.progress = progress;
		this.ignoredPaths = List.copyOf(ignoredPaths);
	}

	/**
	 * Count a request in.
	 * @return whether the shutdown has started, in which case the response should close
	 * its connection and the caller should {@link #recordArrival(String) record} the
	 * arrival
	 */
	public boolean requestStarted() {
		this.started.increment();
		return this.progress.isShuttingDown();
	}

	/**
	 * Record that a request arrived after the shutdown started, for the quiet period,
	 * unless its path is one of the ignored ones (health checks keep coming after the
	 * balancers have stopped routing real traffic).
	 * @param path the request path within the application
	 */
	public void recordArrival(String path) {
		for (String prefix : this.ignoredPaths) {
			if (path.startsWith(prefix)) {
				return;
			}
		}
		this.lastArrivalNanos = System.nanoTime();
	}

	/**
	 * Count a request out. Call exactly once for each {@link #requestStarted()}.
	 */
	public void requestFinished() {
		this.finished.increment();
	}

	/**
	 * Whether the shutdown has started.
	 * @return whether the shutdown has started
	 */
	public boolean isShuttingDown() {
		return this.progress.isShuttingDown();
	}

	/**
	 * Return how many requests are being processed now.
	 * @return the number of requests in flight
	 */
	public long inFlight() {
		// Read the finished count first: a request that finishes in between then counts as
		// still in flight, never as a negative number.
		long finished = this.finished.sum();
		return this.started.sum() - finished;
	}

	/**
	 * Return how many requests have finished since the application started.
	 * @return the number of finished requests
	 */
	public long finishedCount() {
		return this.finished.sum();
	}

	/**
	 * Return when the latest request arrived after the shutdown started.
	 * @return its {@link System#nanoTime()}, or {@code 0} if none has
	 */
	public long lastArrivalNanos() {
		return this.lastArrivalNanos;
	}

}
