package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.jms.listener.AbstractJmsListeningContainer;

import dev.graceful.shutdown.messaging.jms.JmsListenerShutdown;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} that makes JMS listener containers shutdown participants: they stop
 * taking messages when the shutdown starts, beside the delay, and the messages in their
 * listeners are counted.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnClass(AbstractJmsListeningContainer.class)
@ConditionalOnBooleanProperty(
		name = { GracefulShutdownProperties.ENABLED, GracefulShutdownProperties.MESSAGING_ENABLED },
		matchIfMissing = true)
public final class GracefulShutdownJmsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	JmsListenerShutdown gracefulShutdownJmsListeners(ParticipantRunner participants, ShutdownRecorder progress,
			ListableBeanFactory beanFactory) {
		return new JmsListenerShutdown(participants, progress, beanFactory);
	}

}
