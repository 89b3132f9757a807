package dev.graceful.shutdown.messaging.kafka;

import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A record is counted once while in flight: in the listener, then in the asynchronous
 * result the listener returned, never both.
 */
class RecordCountingTests {

	private final MockConsumer<String, String> consumer = new MockConsumer<>("earliest");

	private final ConsumerRecord<String, String> record = new ConsumerRecord<>("jobs", 0, 7, null, "7");

	@Test
	void recordInTheListenerIsInFlightUntilTheListenerReturns() {
		RecordCounting<String, String> counting = new RecordCounting<>(null, () -> false, null);
		counting.intercept(this.record, this.consumer);
		assertThat(counting.inFlight()).isEqualTo(1);
		counting.success(this.record, this.consumer);
		counting.afterRecord(this.record, this.consumer);
		assertThat(counting.inFlight()).isZero();
	}

	@Test
	void recordPassedToAnAsynchronousResultIsCountedOnceUntilTheResultCompletes() {
		AsyncListenerTracking tracking = new AsyncListenerTracking();
		RecordCounting<String, String> counting = new RecordCounting<>(null, () -> false, tracking);
		CompletableFuture<Void> result = new CompletableFuture<>();

		counting.intercept(this.record, this.consumer);
		// What the listener's proxy does when the method returns its result.
		counting.asyncStarted();
		result.whenComplete((value, ex) -> counting.asyncEnded());
		assertThat(counting.inFlight()).isEqualTo(1);
		counting.afterRecord(this.record, this.consumer);
		assertThat(counting.inFlight()).isEqualTo(1);

		result.complete(null);
		assertThat(counting.inFlight()).isZero();

		// The next record on the same thread is a record of its own again.
		counting.intercept(this.record, this.consumer);
		counting.afterRecord(this.record, this.consumer);
		assertThat(counting.inFlight()).isZero();
	}

	@Test
	void resultCompletedBeforeTheListenerReturnsIsNotCountedAgain() {
		RecordCounting<String, String> counting = new RecordCounting<>(null, () -> false, new AsyncListenerTracking());
		counting.intercept(this.record, this.consumer);
		counting.asyncStarted();
		counting.asyncEnded();
		counting.afterRecord(this.record, this.consumer);
		assertThat(counting.inFlight()).isZero();
	}

}
