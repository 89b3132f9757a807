package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.listener.MessageListenerContainer;

import dev.graceful.shutdown.messaging.kafka.AsyncListenerTracking;
import dev.graceful.shutdown.messaging.kafka.KafkaListenerShutdown;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} that makes Kafka listener containers shutdown participants: they
 * stop taking records when the shutdown starts, beside the delay.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnClass(MessageListenerContainer.class)
@ConditionalOnBooleanProperty(
		name = { GracefulShutdownProperties.ENABLED, GracefulShutdownProperties.MESSAGING_ENABLED },
		matchIfMissing = true)
public final class GracefulShutdownKafkaAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	KafkaListenerShutdown gracefulShutdownKafkaListeners(ParticipantRunner participants, ShutdownRecorder progress,
			ListableBeanFactory beanFactory, ObjectProvider<AsyncListenerTracking> async) {
		return new KafkaListenerShutdown(participants, progress, beanFactory, async.getIfAvailable());
	}

	@Bean
	@ConditionalOnMissingBean
	static AsyncListenerTracking gracefulShutdownKafkaAsyncListenerTracking() {
		return new AsyncListenerTracking();
	}

}
