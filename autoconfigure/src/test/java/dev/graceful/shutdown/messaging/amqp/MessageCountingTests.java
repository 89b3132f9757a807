package dev.graceful.shutdown.messaging.amqp;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.NoOpMetricsCollector;
import com.rabbitmq.client.ShutdownListener;
import com.rabbitmq.client.ShutdownSignalException;
import org.junit.jupiter.api.Test;

import org.springframework.amqp.core.BatchMessageListener;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageListener;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareBatchMessageListener;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;

import dev.graceful.shutdown.ShutdownParticipant;
import dev.graceful.shutdown.messaging.amqp.RabbitDeliveryCounting.DeliveryCountingCollector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

/**
 * Tests for {@link MessageCounting} and {@link RabbitDeliveryCounting}.
 */
class MessageCountingTests {

	private final RabbitDeliveryCounting deliveries = new RabbitDeliveryCounting();

	private final DeliveryCountingCollector collector = new DeliveryCountingCollector(new NoOpMetricsCollector(),
			this.deliveries);

	private final MessageCounting counting = new MessageCounting(this.deliveries);

	private final List<ShutdownListener> channelShutdownListeners = new ArrayList<>();

	private final Channel channel = channel();

	@Test
	void wrappedListenerHasTheListenersOwnTypes() {
		MessageListener plain = (message) -> {
		};
		ChannelAwareMessageListener channelAware = (message, channel) -> {
		};
		BatchMessageListener batch = (messages) -> {
		};
		ChannelAwareBatchMessageListener channelAwareBatch = (messages, channel) -> {
		};
		assertThat(this.counting.wrap(plain)).isNotInstanceOf(ChannelAwareMessageListener.class)
			.isNotInstanceOf(BatchMessageListener.class);
		assertThat(this.counting.wrap(channelAware)).isInstanceOf(ChannelAwareMessageListener.class)
			.isNotInstanceOf(ChannelAwareBatchMessageListener.class);
		assertThat(this.counting.wrap(batch)).isInstanceOf(BatchMessageListener.class)
			.isNotInstanceOf(ChannelAwareMessageListener.class);
		assertThat(this.counting.wrap(channelAwareBatch)).isInstanceOf(ChannelAwareBatchMessageListener.class);
	}

	@Test
	void listenerGetsTheSameMessageAndChannelAndItsExceptionWhileTheMessageIsInFlight() throws Exception {
		Message message = message("ctag-1", 1);
		AtomicReference<Object> seen = new AtomicReference<>();
		AtomicLong inFlight = new AtomicLong(-1);
		ChannelAwareMessageListener listener = (received, channel) -> {
			seen.set(List.of(received, channel));
			inFlight.set(this.counting.inFlight());
			throw new IOException("listener failed");
		};
		ChannelAwareMessageListener wrapped = (ChannelAwareMessageListener) this.counting.wrap(listener);
		assertThatIOException().isThrownBy(() -> wrapped.onMessage(message, this.channel))
			.withMessage("listener failed");
		assertThat(seen.get()).isEqualTo(List.of(message, this.channel));
		assertThat(inFlight).hasValue(1);
		assertThat(this.counting.inFlight()).isZero();
	}

	@Test
	void eachMessageOfABatchIsInFlight() {
		AtomicLong inFlight = new AtomicLong(-1);
		BatchMessageListener listener = (messages) -> inFlight.set(this.counting.inFlight());
		((BatchMessageListener) this.counting.wrap(listener))
			.onMessageBatch(List.of(message("ctag-1", 1), message("ctag-1", 2), message("ctag-1", 3)));
		assertThat(inFlight).hasValue(3);
		assertThat(this.counting.inFlight()).isZero();
	}

	@Test
	void handedBackIsWhatWasDeliveredToAConsumerAndNeverGivenToTheListener() {
		deliver("ctag-1", 10);
		deliver("ctag-2", 4);
		MessageListener listener = this.counting.wrap((message) -> {
		});
		listener.onMessage(message("ctag-1", 1));
		listener.onMessage(message("ctag-1", 2));
		// A retry, and messages debatched from one delivery, are one delivery.
		listener.onMessage(message("ctag-1", 2));
		listener.onMessage(message("ctag-2", 3));
		this.counting.stopping();
		assertThat(this.counting.handedBack()).isEqualTo((10 - 2) + (4 - 1));
	}

	@Test
	void consumerGoneBeforeTheStopHandedBackItsMessagesThenNotAtTheStop() {
		deliver("ctag-old", 5);
		MessageListener listener = this.counting.wrap((message) -> {
		});
		listener.onMessage(message("ctag-old", 1));
		this.channelShutdownListeners.forEach((shutdown) -> shutdown.shutdownCompleted(shutdownSignal()));
		deliver("ctag-new", 3);
		listener.onMessage(message("ctag-new", 1));
		this.counting.stopping();
		assertThat(this.counting.handedBack()).isEqualTo(2);
		assertThat(this.deliveries.deliveries("ctag-old")).isNull();
	}

	@Test
	void consumerRestartedWithTheTagOfOneGoneIsCountedAfresh() {
		deliver("ctag-fixed", 5);
		MessageListener listener = this.counting.wrap((message) -> {
		});
		listener.onMessage(message("ctag-fixed", 1));
		this.channelShutdownListeners.forEach((shutdown) -> shutdown.shutdownCompleted(shutdownSignal()));
		deliver("ctag-fixed", 3);
		listener.onMessage(message("ctag-fixed", 1));
		this.counting.stopping();
		assertThat(this.counting.handedBack()).isEqualTo(2);
	}

	@Test
	void handedBackIsUnknownWhenTheDeliveriesWereNotCounted() {
		MessageListener listener = this.counting.wrap((message) -> {
		});
		listener.onMessage(message("ctag-uncounted", 1));
		assertThat(this.counting.handedBack()).isEqualTo(ShutdownParticipant.UNKNOWN);
		assertThat(new MessageCounting(null).handedBack()).isZero();
	}

	@Test
	void connectionFactoryWithoutACollectorGetsOneThatCounts() {
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory("127.0.0.1", 1);
		this.deliveries.postProcessAfterInitialization(connectionFactory, "connectionFactory");
		connectionFactory.getRabbitConnectionFactory().getMetricsCollector().consumedMessage(this.channel, 1, "ctag-1");
		assertThat(this.deliveries.deliveries("ctag-1")).satisfies((counted) -> assertThat(counted.count()).isOne());
	}

	@Test
	void connectionFactoryGetsACollectorThatCountsAndPassesEveryCallOnToTheOneItHad() {
		CachingConnectionFactory connectionFactory = new CachingConnectionFactory("127.0.0.1", 1);
		RecordingCollector recording = new RecordingCollector();
		connectionFactory.getRabbitConnectionFactory().setMetricsCollector(recording);
		this.deliveries.postProcessAfterInitialization(connectionFactory, "connectionFactory");
		this.deliveries.postProcessAfterInitialization(connectionFactory, "connectionFactory");
		assertThat(connectionFactory.getRabbitConnectionFactory().getMetricsCollector())
			.isInstanceOfSatisfying(DeliveryCountingCollector.class, (counting) -> {
				counting.consumedMessage(this.channel, 1, "ctag-1");
				counting.basicAck(this.channel, 1, false);
			});
		assertThat(recording.calls).containsExactly("consumedMessage 1 ctag-1", "basicAck 1");
		assertThat(this.deliveries.deliveries("ctag-1")).satisfies((counted) -> assertThat(counted.count()).isOne());
	}

	private void deliver(String consumerTag, int count) {
		for (int i = 1; i <= count; i++) {
			this.collector.consumedMessage(this.channel, i, consumerTag);
		}
	}

	private static Message message(String consumerTag, long deliveryTag) {
		MessageProperties properties = new MessageProperties();
		properties.setConsumerTag(consumerTag);
		properties.setDeliveryTag(deliveryTag);
		return new Message(new byte[0], properties);
	}

	private static ShutdownSignalException shutdownSignal() {
		return new ShutdownSignalException(false, true, null, null);
	}

	private Channel channel() {
		return (Channel) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] { Channel.class },
				(proxy, method, args) -> switch (method.getName()) {
					case "addShutdownListener" -> {
						this.channelShutdownListeners.add((ShutdownListener) args[0]);
						yield null;
					}
					case "hashCode" -> System.identityHashCode(proxy);
					case "equals" -> proxy == args[0];
					case "toString" -> "channel";
					default -> throw new UnsupportedOperationException(method.getName());
				});
	}

	static final class RecordingCollector extends NoOpMetricsCollector {

		final List<String> calls = new ArrayList<>();

		@Override
		public void consumedMessage(Channel channel, long deliveryTag, String consumerTag) {
			this.calls.add("consumedMessage " + deliveryTag + " " + consumerTag);
		}

		@Override
		public void basicAck(Channel channel, long deliveryTag, boolean multiple) {
			this.calls.add("basicAck " + deliveryTag);
		}

	}

}
