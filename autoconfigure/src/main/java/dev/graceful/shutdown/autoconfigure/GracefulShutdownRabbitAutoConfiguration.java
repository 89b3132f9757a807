package dev.graceful.shutdown.autoconfigure;

import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.messaging.amqp.RabbitDeliveryCounting;
import dev.graceful.shutdown.messaging.amqp.RabbitListenerShutdown;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} that makes RabbitMQ listener containers shutdown participants:
 * they stop taking messages when the shutdown starts, beside the delay, and their
 * messages are counted.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnClass(AbstractMessageListenerContainer.class)
@ConditionalOnBooleanProperty(
		name = { GracefulShutdownProperties.ENABLED, GracefulShutdownProperties.MESSAGING_ENABLED },
		matchIfMissing = true)
public final class GracefulShutdownRabbitAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	RabbitListenerShutdown gracefulShutdownRabbitListeners(ParticipantRunner participants, ShutdownRecorder progress,
			ListableBeanFactory beanFactory, GracefulShutdownProperties properties,
			ObjectProvider<RabbitDeliveryCounting> deliveries) {
		return new RabbitListenerShutdown(participants, progress, beanFactory, properties.getTimeout(),
				deliveries.getIfAvailable());
	}

	@Bean
	@ConditionalOnMissingBean
	static RabbitDeliveryCounting gracefulShutdownRabbitDeliveryCounting() {
		return new RabbitDeliveryCounting();
	}

}
