package dev.graceful.shutdown.messaging.amqp;

import java.util.concurrent.TimeoutException;

import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;

import dev.graceful.shutdown.messaging.ListenerContainerParticipant;

/**
 * One RabbitMQ listener container as a shutdown participant: stopped when the shutdown
 * starts; its shutdown ends when its consumers have finished the message in the listener
 * and their channels have closed (the prefetched messages go back to the queue). The
 * container waits for its consumers up to its shutdown timeout (aligned with the budget).
 * Messages in the listener are its work in flight; those delivered to its consumers and
 * never given to the listener are reported handed back.
 */
final class RabbitListenerParticipant extends ListenerContainerParticipant {

	private final MessageCounting counting;

	RabbitListenerParticipant(AbstractMessageListenerContainer container, MessageCounting counting) {
		super(container);
		this.counting = counting;
	}

	@Override
	protected void beforeStop() {
		this.counting.stopping();
	}

	@Override
	public void stopAccepting(Context context) throws Exception {
		try {
			stopAndAwait(context);
		}
		catch (TimeoutException ex) {
			throw new IllegalStateException("Consumers still running at the deadline", ex);
		}
		finally {
			long handedBack = this.counting.handedBack();
			if (handedBack > 0) {
				context.handedBack(handedBack);
			}
		}
	}

	@Override
	public long inFlight() {
		return this.counting.inFlight();
	}

}
