package dev.graceful.shutdown.messaging.amqp;

import java.util.concurrent.TimeoutException;

import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;

import dev.graceful.shutdown.messaging.ListenerContainerParticipant;

/**
 * One RabbitMQ listener container as a shutdown participant: stopped when the shutdown
 * starts; its shutdown ends when its consumers have finished the message in the listener
 * and their channels have closed (the prefetched messages go back to the queue). The
 * container waits for its consumers up to its shutdown timeout (aligned with the budget).
 */
final class RabbitListenerParticipant extends ListenerContainerParticipant {

	RabbitListenerParticipant(AbstractMessageListenerContainer container) {
		super(container);
	}

	@Override
	public void stopAccepting(Context context) throws Exception {
		try {
			stopAndAwait(context);
		}
		catch (TimeoutException ex) {
			throw new IllegalStateException("Consumers still running at the deadline", ex);
		}
	}

}
