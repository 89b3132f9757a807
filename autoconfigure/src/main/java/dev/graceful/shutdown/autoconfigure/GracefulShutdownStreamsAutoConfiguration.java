package dev.graceful.shutdown.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.util.function.SingletonSupplier;

import dev.graceful.shutdown.StreamHandOffListener;
import dev.graceful.shutdown.streams.LastEvent;
import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.StreamHandOff;
import dev.graceful.shutdown.streams.StreamMeters;
import dev.graceful.shutdown.streams.StreamSettings;
import dev.graceful.shutdown.streams.reactive.EventStreamHandOffFilter;
import dev.graceful.shutdown.streams.reactive.WebSocketHandlerAdapterTracking;
import dev.graceful.shutdown.streams.servlet.SseEmitterTracking;
import dev.graceful.shutdown.streams.servlet.StompSessionTracking;
import dev.graceful.shutdown.streams.servlet.WebSocketSessionTracking;

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

	@Bean
	@ConditionalOnMissingBean
	StreamSettings gracefulShutdownStreamSettings(GracefulShutdownProperties properties,
			ObjectProvider<StreamHandOffListener> listeners) {
		GracefulShutdownProperties.Streams streams = properties.getWeb().getStreams();
		GracefulShutdownProperties.LastEvent last = streams.getLastEvent();
		LastEvent lastEvent = last.isEnabled() ? new LastEvent(last.getName(), last.getData(), last.getRetry()) : null;
		return new StreamSettings(lastEvent, streams.getCloseReason(), listeners.orderedStream().toList());
	}

	private static Supplier<OpenStreams> streams(BeanFactory beanFactory, String name) {
		return SingletonSupplier.of(() -> beanFactory.getBean(name, StreamHandOff.class).streams());
	}

	private static Supplier<StreamSettings> settings(BeanFactory beanFactory) {
		return SingletonSupplier.of(() -> beanFactory.getBean(StreamSettings.class));
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "io.micrometer.core.instrument.binder.MeterBinder")
	static class MetricsConfiguration {

		@Bean
		@ConditionalOnMissingBean
		StreamMeters gracefulShutdownStreamMeters(ListableBeanFactory beanFactory) {
			Map<String, StreamHandOff> handOffs = new LinkedHashMap<>();
			if (beanFactory.containsBean(StreamHandOff.SSE)) {
				handOffs.put("sse", beanFactory.getBean(StreamHandOff.SSE, StreamHandOff.class));
			}
			if (beanFactory.containsBean(StreamHandOff.WEBSOCKETS)) {
				handOffs.put("websocket", beanFactory.getBean(StreamHandOff.WEBSOCKETS, StreamHandOff.class));
			}
			return new StreamMeters(handOffs);
		}

	}

	/**
	 * The hand-off of each kind of stream, imported by the configurations of the stacks
	 * that have it; not a configuration itself, so that its members are not registered
	 * unless imported.
	 */
	static final class HandOffs {

		private HandOffs() {
		}

		private static StreamHandOff handOff(String name, StreamHandOffListener.Kind type, String kind,
				GracefulShutdownProperties properties, BeanFactory beanFactory) {
			Supplier<StreamSettings> settings = settings(beanFactory);
			return new StreamHandOff(name, new OpenStreams(type, kind, () -> settings.get().listeners()),
					properties.getWeb().getStreams().getSpread());
		}

		@Configuration(proxyBeanMethods = false)
		static class Sse {

			@Bean(StreamHandOff.SSE)
			@ConditionalOnMissingBean(name = StreamHandOff.SSE)
			StreamHandOff gracefulShutdownSseStreams(GracefulShutdownProperties properties, BeanFactory beanFactory) {
				return handOff(StreamHandOff.SSE, StreamHandOffListener.Kind.SSE, "SSE stream(s)", properties,
						beanFactory);
			}

		}

		@Configuration(proxyBeanMethods = false)
		static class WebSockets {

			@Bean(StreamHandOff.WEBSOCKETS)
			@ConditionalOnMissingBean(name = StreamHandOff.WEBSOCKETS)
			StreamHandOff gracefulShutdownWebSockets(GracefulShutdownProperties properties, BeanFactory beanFactory) {
				return handOff(StreamHandOff.WEBSOCKETS, StreamHandOffListener.Kind.WEBSOCKET,
						"WebSocket session(s)", properties, beanFactory);
			}

		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = Type.SERVLET)
	@ConditionalOnClass(name = "org.springframework.web.servlet.mvc.method.annotation.SseEmitter")
	@Import(HandOffs.Sse.class)
	static class ServletSseConfiguration {

		@Bean
		@ConditionalOnMissingBean
		static SseEmitterTracking gracefulShutdownSseEmitterTracking(BeanFactory beanFactory) {
			return new SseEmitterTracking(streams(beanFactory, StreamHandOff.SSE), settings(beanFactory));
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = Type.SERVLET)
	@ConditionalOnClass(name = "org.springframework.web.socket.WebSocketHandler")
	@Import(HandOffs.WebSockets.class)
	static class ServletWebSocketConfiguration {

		@Bean
		@ConditionalOnMissingBean
		static WebSocketSessionTracking gracefulShutdownWebSocketSessionTracking(BeanFactory beanFactory) {
			return new WebSocketSessionTracking(streams(beanFactory, StreamHandOff.WEBSOCKETS), settings(beanFactory));
		}

		@Configuration(proxyBeanMethods = false)
		@ConditionalOnClass(name = "org.springframework.messaging.simp.broker.AbstractBrokerMessageHandler")
		static class StompConfiguration {

			@Bean
			@ConditionalOnMissingBean
			static StompSessionTracking gracefulShutdownStompSessionTracking(BeanFactory beanFactory) {
				return new StompSessionTracking(streams(beanFactory, StreamHandOff.WEBSOCKETS),
						settings(beanFactory));
			}

		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnWebApplication(type = Type.REACTIVE)
	@ConditionalOnClass(name = "org.springframework.web.reactive.socket.server.support.WebSocketHandlerAdapter")
	@Import({ HandOffs.Sse.class, HandOffs.WebSockets.class })
	static class ReactiveConfiguration {

		@Bean
		@ConditionalOnMissingBean
		EventStreamHandOffFilter gracefulShutdownEventStreamHandOffFilter(BeanFactory beanFactory) {
			return new EventStreamHandOffFilter(streams(beanFactory, StreamHandOff.SSE), settings(beanFactory));
		}

		@Bean
		@ConditionalOnMissingBean
		static WebSocketHandlerAdapterTracking gracefulShutdownWebSocketHandlerAdapterTracking(
				BeanFactory beanFactory) {
			return new WebSocketHandlerAdapterTracking(streams(beanFactory, StreamHandOff.WEBSOCKETS),
					settings(beanFactory));
		}

	}

}
