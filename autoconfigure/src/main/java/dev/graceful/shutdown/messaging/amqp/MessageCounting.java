package dev.graceful.shutdown.messaging.amqp;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageListener;
import org.springframework.amqp.core.MessageProperties;

import dev.graceful.shutdown.ShutdownParticipant;
import dev.graceful.shutdown.messaging.CountingListener;
import dev.graceful.shutdown.messaging.amqp.RabbitDeliveryCounting.Deliveries;

/**
 * Counts a container's messages: those in its listener now, and, per consumer, those the
 * listener was given; with the deliveries the client counted, what a stopped consumer had
 * been delivered and never gave the listener (handed back: requeued by the broker when
 * the consumer's channel closes).
 * <p>
 * The container's listener is replaced by a {@link CountingListener}: the container sees
 * the same listener types (channel-aware or not, batch or not, container-aware), and the
 * listener gets the same message and channel. The advice chain (retries) wraps the proxy.
 */
final class MessageCounting {

	private final @Nullable RabbitDeliveryCounting deliveries;

	private final AtomicLong inFlight = new AtomicLong();

	private final Map<String, Consumer> consumers = new ConcurrentHashMap<>();

	MessageCounting(@Nullable RabbitDeliveryCounting deliveries) {
		this.deliveries = deliveries;
	}

	/**
	 * Return a listener that counts the messages given to a listener.
	 * @param listener the container's listener
	 * @return a proxy with all the listener's interfaces
	 */
	MessageListener wrap(MessageListener listener) {
		return (MessageListener) CountingListener.wrap(listener, this.inFlight, this::messages);
	}

	/**
	 * Return the messages in the listener now (each message of a batch counts).
	 * @return the number in the listener
	 */
	long inFlight() {
		return this.inFlight.get();
	}

	/**
	 * The container is about to be stopped: consumers that are gone already (cancelled or
	 * restarted before) handed back their messages then, not at this stop.
	 */
	void stopping() {
		this.consumers.values().forEach((consumer) -> consumer.retired = consumer.isClosed());
	}

	/**
	 * Return the messages delivered to the consumers stopped since {@link #stopping()} and
	 * never given to the listener: the broker requeued them when the consumers' channels
	 * closed. Exact once the consumers have stopped.
	 * @return the number handed back, or {@link ShutdownParticipant#UNKNOWN} if the
	 * deliveries of a consumer were not counted (its connection was opened before the
	 * counting was set up, or there is no counting)
	 */
	long handedBack() {
		long handedBack = 0;
		for (Consumer consumer : this.consumers.values()) {
			if (consumer.retired) {
				continue;
			}
			if (consumer.delivered == null) {
				return ShutdownParticipant.UNKNOWN;
			}
			handedBack += Math.max(0, consumer.delivered.count() - consumer.started.get());
		}
		return handedBack;
	}

	private void started(Message message) {
		MessageProperties properties = message.getMessageProperties();
		String consumerTag = properties.getConsumerTag();
		if (consumerTag == null) {
			return;
		}
		Consumer consumer = this.consumers.get(consumerTag);
		if (consumer == null || consumer.isClosed()) {
			// A new consumer, or one restarted with the tag of a consumer that is gone (a
			// tag is unique on its channel only).
			consumer = this.consumers.compute(consumerTag,
					(tag, known) -> (known == null || known.isClosed()) ? consumer(tag) : known);
		}
		consumer.started(properties.getDeliveryTag());
	}

	private Consumer consumer(String consumerTag) {
		// The message is the consumer's first one in the listener: the client counted its
		// delivery already, so the consumer's deliveries are found if they are counted.
		return new Consumer((this.deliveries != null) ? this.deliveries.deliveries(consumerTag) : null);
	}

	/**
	 * Return how many messages a call hands the listener, noting each one as given to
	 * the listener by its consumer.
	 */
	private long messages(Method method, @Nullable Object[] args) {
		if (args == null || args.length == 0) {
			return 0;
		}
		if (method.getName().equals("onMessage") && args[0] instanceof Message message) {
			started(message);
			return 1;
		}
		if (method.getName().equals("onMessageBatch") && args[0] instanceof List<?> batch) {
			for (Object message : batch) {
				if (message instanceof Message started) {
					started(started);
				}
			}
			return batch.size();
		}
		return 0;
	}

	/**
	 * One consumer of the container, as its messages reach the listener.
	 */
	private static final class Consumer {

		private final @Nullable Deliveries delivered;

		/** Deliveries given to the listener (the messages of one delivery count once). */
		private final AtomicLong started = new AtomicLong();

		private long lastDeliveryTag = -1;

		private volatile boolean retired;

		Consumer(@Nullable Deliveries delivered) {
			this.delivered = delivered;
		}

		synchronized void started(long deliveryTag) {
			// Delivery tags grow on a channel: a message debatched from one delivery, or
			// retried, is not counted again.
			if (deliveryTag > this.lastDeliveryTag) {
				this.lastDeliveryTag = deliveryTag;
				this.started.incrementAndGet();
			}
		}

		boolean isClosed() {
			return this.delivered != null && this.delivered.isClosed();
		}

	}

}
