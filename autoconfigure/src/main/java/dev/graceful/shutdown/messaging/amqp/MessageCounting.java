package dev.graceful.shutdown.messaging.amqp;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageListener;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

import dev.graceful.shutdown.ShutdownParticipant;
import dev.graceful.shutdown.messaging.amqp.RabbitDeliveryCounting.Deliveries;

/**
 * Counts a container's messages: those in its listener now, and, per consumer, those the
 * listener was given; with the deliveries the client counted, what a stopped consumer had
 * been delivered and never gave the listener (handed back: requeued by the broker when
 * the consumer's channel closes).
 * <p>
 * The container's listener is replaced, before the container starts, by a proxy with the
 * listener's interfaces that counts each message and passes every call on: the container
 * sees the same listener types (channel-aware or not, batch or not, container-aware), and
 * the listener gets the same message and channel (replies, manual acks and transactions
 * work as before). The advice chain (retries) wraps the proxy.
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
		ClassLoader classLoader = listener.getClass().getClassLoader();
		Class<?>[] interfaces = ClassUtils.getAllInterfacesForClass(listener.getClass(), classLoader);
		return (MessageListener) Proxy.newProxyInstance(classLoader, interfaces, new Counting(listener));
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

	private static long messages(Method method, @Nullable Object[] args) {
		if (args == null || args.length == 0) {
			return 0;
		}
		if (method.getName().equals("onMessage") && args[0] instanceof Message) {
			return 1;
		}
		if (method.getName().equals("onMessageBatch") && args[0] instanceof List<?> batch) {
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

	/**
	 * Counts each call that hands the listener messages, passes every call on.
	 */
	private final class Counting implements InvocationHandler {

		private final MessageListener listener;

		Counting(MessageListener listener) {
			this.listener = listener;
		}

		@Override
		public @Nullable Object invoke(Object proxy, Method method, @Nullable Object[] args) throws Throwable {
			if (method.getDeclaringClass() == Object.class) {
				switch (method.getName()) {
					case "equals":
						return args != null && proxy == args[0];
					case "hashCode":
						return System.identityHashCode(proxy);
					default:
						return invokeListener(method, args);
				}
			}
			long messages = messages(method, args);
			if (messages == 0) {
				return invokeListener(method, args);
			}
			if (args[0] instanceof Message message) {
				started(message);
			}
			else {
				for (Object message : (List<?>) args[0]) {
					if (message instanceof Message started) {
						started(started);
					}
				}
			}
			MessageCounting.this.inFlight.addAndGet(messages);
			try {
				return invokeListener(method, args);
			}
			finally {
				MessageCounting.this.inFlight.addAndGet(-messages);
			}
		}

		private @Nullable Object invokeListener(Method method, @Nullable Object[] args) throws Throwable {
			try {
				ReflectionUtils.makeAccessible(method);
				return method.invoke(this.listener, args);
			}
			catch (InvocationTargetException ex) {
				throw ex.getTargetException();
			}
		}

	}

}
