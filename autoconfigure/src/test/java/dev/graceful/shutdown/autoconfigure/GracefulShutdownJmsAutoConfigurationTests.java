package dev.graceful.shutdown.autoconfigure;

import java.lang.reflect.Proxy;

import jakarta.jms.ConnectionFactory;
import jakarta.jms.MessageListener;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jms.listener.AbstractJmsListeningContainer;
import org.springframework.jms.listener.DefaultMessageListenerContainer;
import org.springframework.jms.listener.SimpleMessageListenerContainer;

import dev.graceful.shutdown.ShutdownParticipant.Start;
import dev.graceful.shutdown.messaging.jms.JmsListenerShutdown;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

/**
 * Tests for {@link GracefulShutdownJmsAutoConfiguration}.
 */
class GracefulShutdownJmsAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("spring.main.cloud-platform=none")
		.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class,
				GracefulShutdownJmsAutoConfiguration.class));

	@Test
	void makesEachListenerContainerAParticipantThatStartsWithTheShutdownAndCountsItsMessages() {
		this.contextRunner.withUserConfiguration(ContainerConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(JmsListenerShutdown.class);
			assertThat(context.getBean(ParticipantRunner.class).participants())
				.extracting((participant) -> participant.name())
				.containsExactlyInAnyOrder("jms-listener-orders", "jms-listener-invoices");
			assertThat(context.getBean(ParticipantRunner.class).participants())
				.allSatisfy((participant) -> assertThat(participant.start()).isEqualTo(Start.WITH_SHUTDOWN));
			// Its messages are counted by a listener with the listener's own types.
			assertThat(context.getBean(DefaultMessageListenerContainer.class).getMessageListener())
				.isNotSameAs(ContainerConfiguration.LISTENER)
				.isInstanceOf(MessageListener.class)
				.matches((listener) -> Proxy.isProxyClass(listener.getClass()));
		});
	}

	@Test
	void leavesContainersToSpringWhenMessagingIsOff() {
		this.contextRunner.withUserConfiguration(ContainerConfiguration.class)
			.withPropertyValues("graceful.shutdown.messaging.enabled=false")
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(JmsListenerShutdown.class);
				assertThat(context.getBean(ParticipantRunner.class).participants()).isEmpty();
				assertThat(context.getBean(DefaultMessageListenerContainer.class).getMessageListener())
					.isSameAs(ContainerConfiguration.LISTENER);
			});
	}

	@Test
	void backsOffWithoutSpringJms() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(AbstractJmsListeningContainer.class))
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(JmsListenerShutdown.class);
				assertThat(context.getBean(ParticipantRunner.class).participants()).isEmpty();
			});
	}

	@Test
	void backsOffWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(JmsListenerShutdown.class));
	}

	@Test
	void backsOffToAUserBean() {
		this.contextRunner.withUserConfiguration(ContainerConfiguration.class, UserConfiguration.class)
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(JmsListenerShutdown.class);
				assertThat(context.getBeanNamesForType(JmsListenerShutdown.class))
					.containsExactly("userJmsListenerShutdown");
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class ContainerConfiguration {

		static final MessageListener LISTENER = (message) -> {
		};

		@Bean
		DefaultMessageListenerContainer orders() {
			DefaultMessageListenerContainer container = new DefaultMessageListenerContainer();
			container.setConnectionFactory(mock(ConnectionFactory.class));
			container.setDestinationName("orders");
			container.setAutoStartup(false);
			container.setMessageListener(LISTENER);
			return container;
		}

		@Bean
		SimpleMessageListenerContainer invoices() {
			SimpleMessageListenerContainer container = new SimpleMessageListenerContainer();
			container.setConnectionFactory(mock(ConnectionFactory.class));
			container.setDestinationName("invoices");
			container.setAutoStartup(false);
			container.setMessageListener(LISTENER);
			return container;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserConfiguration {

		@Bean
		JmsListenerShutdown userJmsListenerShutdown(ParticipantRunner participants, ShutdownRecorder progress,
				ListableBeanFactory beanFactory) {
			return new JmsListenerShutdown(participants, progress, beanFactory);
		}

	}

}
