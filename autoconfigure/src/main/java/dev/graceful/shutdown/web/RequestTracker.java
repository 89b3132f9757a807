package dev.graceful.shutdown.web;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * Counts HTTP requests in and out. Two {@link LongAdder} updates and one volatile read
 * per counted request; the arrival time is taken only once the shutdown has started, for
 * the quiet period.
 * <p>
 * Where the server can tell, requests are counted here only once the shutdown has
 * started, and the requests before it cost no more than the check whether it has:
 * <ul>
 * <li>a server that keeps its own count of every request in flight (Tomcat, see
 * {@link dev.graceful.shutdown.web.servlet.TomcatRequestCounting}) reports it through
 * {@link #countInFlightWith(LongSupplier)}, and that count is then the number in
 * flight;</li>
 * <li>a server that can list the requests it has not counted (Reactor Netty's HTTP/1.1
 * connections, see {@link dev.graceful.shutdown.web.reactive.NettyRequestTracking})
 * reports them through {@link #countUncountedWith(LongSupplier)}, which adds them to the
 * requests counted here.</li>
 * </ul>
 */
public final class RequestTracker {

	private final ShutdownRecorder progress;

	private final LongAdder started = new LongAdder();

	private final LongAdder finished = new LongAdder();

	private volatile long lastArrivalNanos;

	private volatile @Nullable LongSupplier uncounted;

	private volatile @Nullable LongSupplier serverInFlight;

	private final List<String> ignoredPaths;

	/**
	 * Create a new tracker.
	 * @param progress the shutdown progress
	 * @param ignoredPaths path prefixes whose requests do not end the quiet period
	 */
	public RequestTracker(ShutdownRecorder progress, List<String> ignoredPaths) {
		this.progress = progress;
		this.ignoredPaths = List.copyOf(ignoredPaths);
	}

	/**
	 * Add the requests in flight that a server has not counted in (nor will count out) to
	 * {@link #inFlight()}.
	 * @param uncounted returns how many requests are in flight and not counted; called
	 * whenever {@link #inFlight()} is
	 */
	public void countUncountedWith(LongSupplier uncounted) {
		LongSupplier others = this.uncounted;
		this.uncounted = (others != null) ? () -> others.getAsLong() + uncounted.getAsLong() : uncounted;
	}

	/**
	 * Take the number of requests in flight from the server, which counts every request
	 * itself, those counted here included: a request is counted here only within the time
	 * the server counts it. Called more than once (one server with several counts), the
	 * counts are added up.
	 * @param inFlight returns how many requests the server is processing; called
	 * whenever {@link #inFlight()} is
	 */
	public void countInFlightWith(LongSupplier inFlight) {
		LongSupplier others = this.serverInFlight;
		this.serverInFlight = (others != null) ? () -> others.getAsLong() + inFlight.getAsLong() : inFlight;
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
		LongSupplier server = this.serverInFlight;
		if (server != null) {
			return server.getAsLong();
		}
		// Read the finished count first: a request that finishes in between then counts as
		// still in flight, never as a negative number. Read the uncounted ones before the
		// started count: a request the server counts in as it stops being uncounted (a
		// connection taken over) is then counted twice at worst, never missed.
		long finished = this.finished.sum();
		LongSupplier uncounted = this.uncounted;
		long notCounted = (uncounted != null) ? uncounted.getAsLong() : 0;
		return this.started.sum() - finished + notCounted;
	}

	/**
	 * Return how many requests have been counted in since the application started; where
	 * the server {@link #countInFlightWith(LongSupplier) counts} its requests, only those
	 * since the shutdown started.
	 * @return the number of counted requests
	 */
	public long startedCount() {
		return this.started.sum();
	}

	/**
	 * Return how many counted requests have finished since the application started; where
	 * the server {@link #countInFlightWith(LongSupplier) counts} its requests, only those
	 * that started after the shutdown did.
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
