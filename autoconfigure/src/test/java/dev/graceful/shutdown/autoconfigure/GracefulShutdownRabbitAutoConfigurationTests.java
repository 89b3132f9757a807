package dev.graceful.shutdown.autoconfigure;

import java.lang.reflect.Proxy;

import org.junit.jupiter.api.Test;

import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.api.ChannelAwareMessageListener;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.graceful.shutdown.ShutdownParticipant.Start;
import dev.graceful.shutdown.messaging.amqp.RabbitDeliveryCounting;
import dev.graceful.shutdown.messaging.amqp.RabbitListenerShutdown;
import dev.graceful.shutdown.participant.ParticipantRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link GracefulShutdownRabbitAutoConfiguration}.
 */
class GracefulShutdownRabbitAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("spring.main.cloud-platform=none")
		.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class,
				GracefulShutdownRabbitAutoConfiguration.class));

	@Test
	void makesEachListenerContainerAParticipantThatStartsWithTheShutdownWithTheBudgetAsItsTimeout() {
		this.contextRunner.withUserConfiguration(ContainerConfiguration.class)
			.withPropertyValues("graceful.shutdown.timeout=25s")
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(RabbitListenerShutdown.class);
				assertThat(context.getBean(ParticipantRunner.class).participants()).singleElement()
					.satisfies((participant) -> {
						assertThat(participant.name()).isEqualTo("rabbit-listener-orders");
						assertThat(participant.start()).isEqualTo(Start.WITH_SHUTDOWN);
					});
				SimpleMessageListenerContainer container = context.getBean(SimpleMessageListenerContainer.class);
				assertThat(container).hasFieldOrPropertyWithValue("forceStop", true)
					.hasFieldOrPropertyWithValue("shutdownTimeout", 25_000L);
				// Its messages are counted by a listener with the listener's own types.
				assertThat(container.getMessageListener()).isNotSameAs(ContainerConfiguration.LISTENER)
					.isInstanceOf(ChannelAwareMessageListener.class)
					.matches((listener) -> Proxy.isProxyClass(listener.getClass()));
			});
	}

	@Test
	void countsTheDeliveriesOfEachConnectionFactory() {
		this.contextRunner.withUserConfiguration(ConnectionFactoryConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(RabbitDeliveryCounting.class);
			assertThat(context.getBean(CachingConnectionFactory.class).getRabbitConnectionFactory().getMetricsCollector())
				.extracting((collector) -> collector.getClass().getSimpleName())
				.isEqualTo("DeliveryCountingCollector");
		});
	}

	@Test
	void leavesConnectionFactoriesAloneWhenMessagingIsOff() {
		this.contextRunner.withUserConfiguration(ConnectionFactoryConfiguration.class)
			.withPropertyValues("graceful.shutdown.messaging.enabled=false")
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(RabbitDeliveryCounting.class);
				assertThat(context.getBean(CachingConnectionFactory.class).getRabbitConnectionFactory()
					.getMetricsCollector()).isNull();
			});
	}

	@Test
	void leavesContainersToSpringWhenMessagingIsOff() {
		this.contextRunner.withUserConfiguration(ContainerConfiguration.class)
			.withPropertyValues("graceful.shutdown.messaging.enabled=false")
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(RabbitListenerShutdown.class);
				assertThat(context.getBean(ParticipantRunner.class).participants()).isEmpty();
				assertThat(context.getBean(SimpleMessageListenerContainer.class).getMessageListener())
					.isSameAs(ContainerConfiguration.LISTENER);
				assertThat(context.getBean(SimpleMessageListenerContainer.class))
					.hasFieldOrPropertyWithValue("forceStop", false);
			});
	}

	@Test
	void backsOffWithoutSpringRabbit() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(AbstractMessageListenerContainer.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(RabbitListenerShutdown.class));
	}

	@Test
	void backsOffWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(RabbitListenerShutdown.class));
	}

	@Configuration(proxyBeanMethods = false)
	static class ContainerConfiguration {

		static final ChannelAwareMessageListener LISTENER = (message, channel) -> {
		};

		@Bean
		SimpleMessageListenerContainer orders() {
			SimpleMessageListenerContainer container = new SimpleMessageListenerContainer(
					new CachingConnectionFactory("127.0.0.1", 1));
			container.setQueueNames("orders");
			container.setListenerId("orders");
			container.setAutoStartup(false);
			container.setMessageListener(LISTENER);
			return container;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ConnectionFactoryConfiguration {

		@Bean
		CachingConnectionFactory connectionFactory() {
			return new CachingConnectionFactory("127.0.0.1", 1);
		}

	}

}
