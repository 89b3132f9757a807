package dev.graceful.shutdown;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Test support: the longest time the server may have gone without a request arriving,
 * from the client's side, for tests that send traffic during the lame-duck delay and
 * check that the quiet period did not end it.
 * <p>
 * On a busy machine a GC or scheduling pause can stretch a gap between two requests past
 * the quiet period, and then the delay rightly ends early. The server sees a request
 * arrive at some time between the client's start of the request and its end (response
 * read, or failure), so the server's gap between two arrivals is at most the end of the
 * later request less the start of the earlier one; the first gap runs from before the
 * shutdown started, the last until the client saw the delay end. If the longest of these
 * is shorter than the quiet period, the delay must not have ended early.
 */
public final class TrafficGaps {

	private final long beforeShutdownNanos;

	private final List<long[]> requests = new ArrayList<>();

	private long stoppedNanos;

	private TrafficGaps(long beforeShutdownNanos) {
		this.beforeShutdownNanos = beforeShutdownNanos;
	}

	/**
	 * Start recording: call before the shutdown starts.
	 * @return the recording
	 */
	public static TrafficGaps beforeShutdown() {
		return new TrafficGaps(System.nanoTime());
	}

	/**
	 * Send one request and record when it was sent and when it ended, whether it
	 * succeeded or threw.
	 * @param <T> the response type
	 * @param request sends the request
	 * @return the response
	 * @throws Exception if the request failed
	 */
	public <T> T send(Request<T> request) throws Exception {
		long start = System.nanoTime();
		try {
			return request.send();
		}
		finally {
			this.requests.add(new long[] { start, System.nanoTime() });
		}
	}

	/**
	 * Stop recording: call as soon as the client sees that the delay is over.
	 */
	public void stop() {
		this.stoppedNanos = System.nanoTime();
	}

	/**
	 * Return the longest time that may have passed, as the server saw it, without a
	 * request arriving between the shutdown start and {@link #stop()}.
	 * @return the longest possible gap
	 */
	public Duration longest() {
		if (this.stoppedNanos == 0) {
			throw new IllegalStateException("stop() not called");
		}
		long longest = 0;
		long previousStart = this.beforeShutdownNanos;
		for (long[] request : this.requests) {
			longest = Math.max(longest, request[1] - previousStart);
			previousStart = request[0];
		}
		longest = Math.max(longest, this.stoppedNanos - previousStart);
		return Duration.ofNanos(longest);
	}

	/**
	 * Return how many requests were sent.
	 * @return the number of requests
	 */
	public int count() {
		return this.requests.size();
	}

	@Override
	public String toString() {
		return this.requests.size() + " request(s), longest possible gap between arrivals " + longest().toMillis()
				+ " ms";
	}

	/**
	 * Sends a request.
	 *
	 * @param <T> the response type
	 */
	@FunctionalInterface
	public interface Request<T> {

		T send() throws Exception;

	}

}
