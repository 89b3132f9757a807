package dev.graceful.shutdown.messaging.kafka;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.springframework.kafka.listener.MessageListenerContainer;

import dev.graceful.shutdown.ShutdownParticipant;

/**
 * One Kafka listener container as a shutdown participant: stopped when the shutdown
 * starts; its shutdown ends when its consumers have finished the record in the listener,
 * committed and closed, and the results of its asynchronous listeners have completed.
 * Records in the listener or in such a result are its work in flight; the rest of the
 * last poll is reported handed back.
 */
final class KafkaListenerParticipant implements ShutdownParticipant {

	private final MessageListenerContainer container;

	private final RecordCounting<?, ?> counting;

	private final AtomicBoolean stopRequested = new AtomicBoolean();

	private final CompletableFuture<Void> stopped = new CompletableFuture<>();

	KafkaListenerParticipant(MessageListenerContainer container, RecordCounting<?, ?> counting) {
		this.container = container;
		this.counting = counting;
	}

	@Override
	public Start shutdownStart() {
		return Start.WITH_SHUTDOWN;
	}

	/**
	 * Stop the container without waiting, once: it stops polling, and each consumer
	 * stops after the record it is processing, commits and closes.
	 */
	void requestStop() {
		if (this.stopRequested.compareAndSet(false, true)) {
			this.container.stop(() -> this.stopped.complete(null));
		}
	}

	@Override
	public void stopAccepting(Context context) throws Exception {
		requestStop();
		try {
			// Until the consumers have committed and closed: they use beans (the consumer
			// factory, the listener's) that must outlive them.
			this.stopped.get(context.remaining().toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			// The deadline: what is still in the listener is reported by the shutdown.
		}
		finally {
			context.handedBack(this.counting.handedBack());
		}
	}

	@Override
	public long inFlight() {
		return this.counting.inFlight();
	}

}
