package dev.graceful.shutdown.web;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link RequestTracker}'s count of the requests in flight.
 */
class RequestTrackerTests {

	private final RequestTracker tracker = new RequestTracker(
			new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30))), List.of());

	@Test
	void countsInFlightTheRequestsCountedInAndTheUncountedOnes() {
		this.tracker.countUncountedWith(() -> 2);
		this.tracker.requestStarted();
		this.tracker.requestStarted();
		this.tracker.requestFinished();
		assertThat(this.tracker.inFlight()).isEqualTo(3);
	}

	@Test
	void requestCountedInAsItStopsBeingUncountedIsNeverMissing() {
		// A server takes a connection over while the count is read: it counts the request
		// in, then no longer reports it uncounted (as NettyRequestTracking.takeOver does).
		// Here the take-over happens as the uncounted requests are asked for.
		boolean[] takenOver = { false };
		this.tracker.countUncountedWith(() -> {
			if (!takenOver[0]) {
				takenOver[0] = true;
				this.tracker.requestStarted();
			}
			return 0;
		});
		assertThat(this.tracker.inFlight()).isEqualTo(1);
	}

}
