package dev.graceful.shutdown.messaging.kafka;

import java.util.concurrent.TimeoutException;

import org.springframework.kafka.listener.MessageListenerContainer;

import dev.graceful.shutdown.messaging.ListenerContainerParticipant;
import dev.graceful.shutdown.participant.ImmediateStop;

/**
 * One Kafka listener container as a shutdown participant: stopped when the shutdown
 * starts; its shutdown ends when its consumers have finished the record in the listener,
 * committed and closed, and the results of its asynchronous listeners have completed.
 * Records in the listener or in such a result are its work in flight; the rest of the
 * last poll is reported handed back.
 */
final class KafkaListenerParticipant extends ListenerContainerParticipant implements ImmediateStop {

	private final RecordCounting<?, ?> counting;

	KafkaListenerParticipant(MessageListenerContainer container, RecordCounting<?, ?> counting) {
		super(container);
		this.counting = counting;
	}

	/**
	 * Stop the container as the shutdown starts, on the thread that starts it: the
	 * consumers stop after the record in the listener, instead of taking the next ones
	 * until the participant's own thread has started.
	 */
	@Override
	public void stopWithoutWaiting() {
		requestStop();
	}

	@Override
	public void stopAccepting(Context context) throws Exception {
		try {
			// Until the consumers have committed and closed: they use beans (the consumer
			// factory, the listener's) that must outlive them.
			stopAndAwait(context);
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
