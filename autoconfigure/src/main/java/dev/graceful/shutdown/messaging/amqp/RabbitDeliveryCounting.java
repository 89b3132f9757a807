package dev.graceful.shutdown.messaging.amqp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.MetricsCollector;
import com.rabbitmq.client.NoOpMetricsCollector;
import org.jspecify.annotations.Nullable;

import org.springframework.amqp.rabbit.connection.AbstractConnectionFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Counts the messages the broker delivers to each consumer (per consumer tag), as the
 * RabbitMQ client sees them arrive: the listener containers' consumers take them from
 * there, and what was delivered and never given to the listener is what a stopped
 * consumer hands back to the broker.
 * <p>
 * The client reports each delivery to the {@link MetricsCollector} of its connection
 * factory, the one hook that sees deliveries before the container holds them (a simple
 * container's local queue, a direct container's dispatch queue). So each Spring
 * {@link AbstractConnectionFactory} bean gets a collector that counts and passes every
 * call on to the collector it had (Spring Boot's Micrometer one, or the client's no-op
 * one); connections opened before that are not counted.
 */
public final class RabbitDeliveryCounting implements BeanPostProcessor {

	private final Map<String, Deliveries> byConsumerTag = new ConcurrentHashMap<>();

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof AbstractConnectionFactory connectionFactory) {
			ConnectionFactory rabbit = connectionFactory.getRabbitConnectionFactory();
			MetricsCollector collector = rabbit.getMetricsCollector();
			if (!(collector instanceof DeliveryCountingCollector)) {
				// None set: the client would use a no-op one.
				rabbit.setMetricsCollector(new DeliveryCountingCollector(
						(collector != null) ? collector : new NoOpMetricsCollector(), this));
			}
		}
		return bean;
	}

	/**
	 * Return the deliveries to a consumer counted so far.
	 * @param consumerTag the consumer's tag
	 * @return its deliveries, or {@code null} if none was counted (its connection is not
	 * counted, or its channel has closed)
	 */
	@Nullable Deliveries deliveries(String consumerTag) {
		return this.byConsumerTag.get(consumerTag);
	}

	void delivered(Channel channel, String consumerTag) {
		Deliveries deliveries = this.byConsumerTag.get(consumerTag);
		if (deliveries == null) {
			Deliveries created = new Deliveries();
			deliveries = this.byConsumerTag.putIfAbsent(consumerTag, created);
			if (deliveries == null) {
				deliveries = created;
				// Forgotten when the consumer's channel closes: by then whoever needs the count
				// holds it.
				channel.addShutdownListener((cause) -> closed(consumerTag, created));
			}
		}
		deliveries.count.incrementAndGet();
	}

	void closed(String consumerTag, Deliveries deliveries) {
		deliveries.closed = true;
		this.byConsumerTag.remove(consumerTag, deliveries);
	}

	void cancelled(String consumerTag) {
		Deliveries deliveries = this.byConsumerTag.get(consumerTag);
		if (deliveries != null) {
			closed(consumerTag, deliveries);
		}
	}

	/**
	 * The messages delivered to one consumer.
	 */
	static final class Deliveries {

		private final AtomicLong count = new AtomicLong();

		private volatile boolean closed;

		long count() {
			return this.count.get();
		}

		/**
		 * Return whether the consumer is gone: cancelled, or its channel closed.
		 * @return whether no more messages can be delivered to it
		 */
		boolean isClosed() {
			return this.closed;
		}

	}

	/**
	 * Counts deliveries, passes every call on to the collector the factory had.
	 */
	static final class DeliveryCountingCollector implements MetricsCollector {

		private final MetricsCollector delegate;

		private final RabbitDeliveryCounting counting;

		DeliveryCountingCollector(MetricsCollector delegate, RabbitDeliveryCounting counting) {
			this.delegate = delegate;
			this.counting = counting;
		}

		@Override
		public void consumedMessage(Channel channel, long deliveryTag, String consumerTag) {
			// Called by the client for each basic.deliver on an open channel, before the
			// consumer sees it.
			try {
				this.counting.delivered(channel, consumerTag);
			}
			finally {
				this.delegate.consumedMessage(channel, deliveryTag, consumerTag);
			}
		}

		@Override
		public void basicCancel(Channel channel, String consumerTag) {
			try {
				this.counting.cancelled(consumerTag);
			}
			finally {
				this.delegate.basicCancel(channel, consumerTag);
			}
		}

		@Override
		public void consumedMessage(Channel channel, long deliveryTag, boolean autoAck) {
			this.delegate.consumedMessage(channel, deliveryTag, autoAck);
		}

		@Override
		public void newConnection(Connection connection) {
			this.delegate.newConnection(connection);
		}

		@Override
		public void closeConnection(Connection connection) {
			this.delegate.closeConnection(connection);
		}

		@Override
		public void newChannel(Channel channel) {
			this.delegate.newChannel(channel);
		}

		@Override
		public void closeChannel(Channel channel) {
			this.delegate.closeChannel(channel);
		}

		@Override
		public void basicPublish(Channel channel) {
			this.delegate.basicPublish(channel);
		}

		@Override
		public void basicPublishFailure(Channel channel, Throwable cause) {
			this.delegate.basicPublishFailure(channel, cause);
		}

		@Override
		public void basicPublishAck(Channel channel, long deliveryTag, boolean multiple) {
			this.delegate.basicPublishAck(channel, deliveryTag, multiple);
		}

		@Override
		public void basicPublishNack(Channel channel, long deliveryTag, boolean multiple) {
			this.delegate.basicPublishNack(channel, deliveryTag, multiple);
		}

		@Override
		public void basicPublishUnrouted(Channel channel) {
			this.delegate.basicPublishUnrouted(channel);
		}

		@Override
		public void basicAck(Channel channel, long deliveryTag, boolean multiple) {
			this.delegate.basicAck(channel, deliveryTag, multiple);
		}

		@Override
		public void basicNack(Channel channel, long deliveryTag) {
			this.delegate.basicNack(channel, deliveryTag);
		}

		@Override
		public void basicNack(Channel channel, long deliveryTag, boolean requeue) {
			this.delegate.basicNack(channel, deliveryTag, requeue);
		}

		@Override
		public void basicReject(Channel channel, long deliveryTag) {
			this.delegate.basicReject(channel, deliveryTag);
		}

		@Override
		public void basicReject(Channel channel, long deliveryTag, boolean requeue) {
			this.delegate.basicReject(channel, deliveryTag, requeue);
		}

		@Override
		public void basicConsume(Channel channel, String consumerTag, boolean autoAck) {
			this.delegate.basicConsume(channel, consumerTag, autoAck);
		}

	}

}
