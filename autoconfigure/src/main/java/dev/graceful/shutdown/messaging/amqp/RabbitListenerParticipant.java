package dev.graceful.shutdown.messaging.amqp;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;

import dev.graceful.shutdown.ShutdownParticipant;

/**
 * One RabbitMQ listener container as a shutdown participant: stopped when the shutdown
 * starts; its shutdown ends when its consumers have finished the message in the listener
 * and their channels have closed (the prefetched messages go back to the queue).
 */
final class RabbitListenerParticipant implements ShutdownParticipant {

	private final AbstractMessageListenerContainer container;

	private final AtomicBoolean stopRequested = new AtomicBoolean();

	private final CompletableFuture<Void> stopped = new CompletableFuture<>();

	RabbitListenerParticipant(AbstractMessageListenerContainer container) {
		this.container = container;
	}

	@Override
	public Start shutdownStart() {
		return Start.WITH_SHUTDOWN;
	}

	/**
	 * Stop the container without waiting, once: each consumer stops after the message it
	 * is processing; the container waits for them up to its shutdown timeout (aligned with
	 * the budget) on a thread of its own.
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
			this.stopped.get(context.remaining().toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			throw new IllegalStateException("Consumers still running at the deadline", ex);
		}
	}

}
