package dev.graceful.shutdown.autoconfigure;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.listener.MessageListenerContainer;

import dev.graceful.shutdown.ShutdownParticipant.Start;
import dev.graceful.shutdown.messaging.kafka.KafkaListenerShutdown;
import dev.graceful.shutdown.participant.ParticipantRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link GracefulShutdownKafkaAutoConfiguration}.
 */
class GracefulShutdownKafkaAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("spring.main.cloud-platform=none")
		.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class,
				GracefulShutdownKafkaAutoConfiguration.class));

	@Test
	void makesEachListenerContainerAParticipantThatStartsWithTheShutdownAndStopsAfterItsRecord() {
		this.contextRunner.withUserConfiguration(ContainerConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed().hasSingleBean(KafkaListenerShutdown.class);
			assertThat(context.getBean(ParticipantRunner.class).participants())
				.singleElement()
				.satisfies((participant) -> {
					assertThat(participant.name()).isEqualTo("kafka-listener-orders");
					assertThat(participant.start()).isEqualTo(Start.WITH_SHUTDOWN);
					assertThat(participant.inFlight()).isZero();
				});
			KafkaMessageListenerContainer<?, ?> container = context.getBean(KafkaMessageListenerContainer.class);
			assertThat(container.getContainerProperties().isStopImmediate()).isTrue();
			assertThat(container.getRecordInterceptor()).isNotNull();
		});
	}

	@Test
	void leavesContainersToSpringWhenMessagingIsOff() {
		this.contextRunner.withUserConfiguration(ContainerConfiguration.class)
			.withPropertyValues("graceful.shutdown.messaging.enabled=false")
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(KafkaListenerShutdown.class);
				assertThat(context.getBean(ParticipantRunner.class).participants()).isEmpty();
				assertThat(context.getBean(KafkaMessageListenerContainer.class)
					.getContainerProperties()
					.isStopImmediate()).isFalse();
			});
	}

	@Test
	void backsOffWithoutSpringKafka() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MessageListenerContainer.class))
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(KafkaListenerShutdown.class));
	}

	@Test
	void backsOffWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(KafkaListenerShutdown.class));
	}

	@Configuration(proxyBeanMethods = false)
	static class ContainerConfiguration {

		@Bean
		KafkaMessageListenerContainer<String, String> orders() {
			ContainerProperties properties = new ContainerProperties("orders");
			properties.setGroupId("orders");
			properties.setMessageListener((MessageListener<String, String>) (record) -> {
			});
			KafkaMessageListenerContainer<String, String> container = new KafkaMessageListenerContainer<>(
					new DefaultKafkaConsumerFactory<>(Map.of()), properties);
			container.setAutoStartup(false);
			return container;
		}

	}

}
