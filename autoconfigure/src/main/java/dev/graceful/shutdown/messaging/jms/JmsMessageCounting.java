package dev.graceful.shutdown.messaging.jms;

import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.jms.Message;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.messaging.CountingListener;

/**
 * Counts the messages in a container's listener now, through a {@link CountingListener}:
 * the container sees the same listener types (a JMS {@code MessageListener} or Spring's
 * {@code SessionAwareMessageListener}, a subscription name provider), and the listener
 * gets the same message and session.
 */
final class JmsMessageCounting {

	private final AtomicLong inFlight = new AtomicLong();

	/**
	 * Return a listener that counts the messages given to a listener.
	 * @param listener the container's listener
	 * @return a proxy with all the listener's interfaces
	 */
	Object wrap(Object listener) {
		return CountingListener.wrap(listener, this.inFlight, JmsMessageCounting::messages);
	}

	private static long messages(Method method, @Nullable Object[] args) {
		return (method.getName().equals("onMessage") && args != null && args.length > 0
				&& args[0] instanceof Message) ? 1 : 0;
	}

	/**
	 * Return the messages in the listener now.
	 * @return the number in the listener
	 */
	long inFlight() {
		return this.inFlight.get();
	}

}
