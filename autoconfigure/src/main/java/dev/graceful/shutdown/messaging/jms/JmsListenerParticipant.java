package dev.graceful.shutdown.messaging.jms;

import java.util.concurrent.TimeoutException;

import org.springframework.context.SmartLifecycle;
import org.springframework.jms.listener.AbstractMessageListenerContainer;
import org.springframework.jms.listener.DefaultMessageListenerContainer;

import dev.graceful.shutdown.messaging.ListenerContainerParticipant;

/**
 * One JMS listener container as a shutdown participant: stopped when the shutdown
 * starts; its shutdown ends when its consumers have finished the message in the listener
 * (a default container's consumers notice the stop within their receive timeout).
 * Messages in the listener are its work in flight.
 * <p>
 * A default container stops asynchronously and calls back; other containers (a simple
 * one) stop synchronously, stopping their connection, which waits for the listeners in
 * progress: they are stopped on a thread of their own, so that the shutdown's start does
 * not wait for them.
 */
final class JmsListenerParticipant extends ListenerContainerParticipant {

	private final JmsMessageCounting counting;

	JmsListenerParticipant(AbstractMessageListenerContainer container, JmsMessageCounting counting) {
		super((container instanceof DefaultMessageListenerContainer) ? container : new OwnThreadStop(container));
		this.counting = counting;
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

	@Override
	public long inFlight() {
		return this.counting.inFlight();
	}

	/**
	 * A container whose stop blocks, stopped on a thread of its own that calls back.
	 */
	private static final class OwnThreadStop implements SmartLifecycle {

		private final AbstractMessageListenerContainer container;

		OwnThreadStop(AbstractMessageListenerContainer container) {
			this.container = container;
		}

		@Override
		public void start() {
			this.container.start();
		}

		@Override
		public void stop() {
			this.container.stop();
		}

		@Override
		public void stop(Runnable callback) {
			Thread thread = new Thread(() -> {
				try {
					this.container.stop();
				}
				finally {
					callback.run();
				}
			}, "graceful-shutdown-jms-stop");
			thread.setDaemon(true);
			thread.start();
		}

		@Override
		public boolean isRunning() {
			return this.container.isRunning();
		}

	}

}
