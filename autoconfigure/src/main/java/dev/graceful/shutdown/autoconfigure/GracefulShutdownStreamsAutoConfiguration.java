package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.streams.StreamHandOff;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the hand-off of long-lived streams when the drain starts: SSE
 * responses (Spring MVC {@code SseEmitter}, WebFlux {@code text/event-stream}) and
 * WebSocket sessions (Spring WebSocket, WebFlux), each kind a shutdown participant of its
 * own ({@value StreamHandOff#SSE}, {@value StreamHandOff#WEBSOCKETS}).
 */
@AutoConfiguration(after = GracefulShutdownWebAutoConfiguration.class)
@ConditionalOnWebApplication
@ConditionalOnGracefulShutdownEnabled
@ConditionalOnBooleanProperty(name = GracefulShutdownProperties.STREAMS_ENABLED, matchIfMissing = true)
@ConditionalOnClass(WebServerApplicationContext.class)
public final class GracefulShutdownStreamsAutoConfiguration {

	/**
	 * The parts of the stacks and kinds of stream that the application has, registered
	 * before any bean is created (see {@link StreamPartsRegistrar}).
	 */
	@Bean
	static BeanFactoryPostProcessor gracefulShutdownStreams() {
		return new StreamPartsRegistrar();
	}

}
