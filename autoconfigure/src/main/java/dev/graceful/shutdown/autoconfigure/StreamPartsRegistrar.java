package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.util.ClassUtils;
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
 * Registers the hand-off of long-lived streams, after the web parts (see
 * {@link WebPartsRegistrar}, which calls it): for each kind of stream that the
 * application's stack has, its hand-off participant ({@value StreamHandOff#SSE},
 * {@value StreamHandOff#WEBSOCKETS}) and the post-processor or filter that tracks the
 * streams, as ready-made singletons; the settings and the meters, which read the
 * application's {@link StreamHandOffListener} beans and the hand-offs, as bean
 * definitions that Spring creates when first asked (the settings lazily: with the first
 * stream, or at the shutdown).
 * <p>
 * The application replaces a hand-off with a bean of its name, and any other part with a
 * bean of its type, as {@code @ConditionalOnMissingBean} would.
 */
final class StreamPartsRegistrar {

	static final String SSE_EMITTER = "org.springframework.web.servlet.mvc.method.annotation.SseEmitter";

	static final String WEB_SOCKET_HANDLER = "org.springframework.web.socket.WebSocketHandler";

	static final String BROKER_MESSAGE_HANDLER = "org.springframework.messaging.simp.broker."
			+ "AbstractBrokerMessageHandler";

	static final String WEB_SOCKET_HANDLER_ADAPTER = "org.springframework.web.reactive.socket.server.support."
			+ "WebSocketHandlerAdapter";

	static final String METER_BINDER = "io.micrometer.core.instrument.binder.MeterBinder";

	private StreamPartsRegistrar() {
	}

	static void register(ConfigurableListableBeanFactory beanFactory, Singletons parts,
			GracefulShutdownProperties.Streams properties, boolean servlet) {
		ClassLoader classLoader = beanFactory.getBeanClassLoader();
		if (parts.absent(StreamSettings.class)) {
			RootBeanDefinition definition = new RootBeanDefinition(StreamSettings.class,
					() -> settings(properties, beanFactory));
			// Created with the first stream, or at the shutdown: the application's listeners
			// are looked up then, not at startup.
			definition.setLazyInit(true);
			Singletons.define(beanFactory, "gracefulShutdownStreamSettings", definition);
		}
		Supplier<StreamSettings> settings = SingletonSupplier.of(() -> beanFactory.getBean(StreamSettings.class));
		// The hand-offs registered, by the tag of their meters.
		Map<String, String> handOffs = new LinkedHashMap<>();
		if (servlet) {
			if (ClassUtils.isPresent(SSE_EMITTER, classLoader)) {
				handOffs.put("sse", StreamHandOff.SSE);
				ServletParts.sse(beanFactory, parts, settings);
			}
			if (ClassUtils.isPresent(WEB_SOCKET_HANDLER, classLoader)) {
				handOffs.put("websocket", StreamHandOff.WEBSOCKETS);
				boolean stomp = ClassUtils.isPresent(BROKER_MESSAGE_HANDLER, classLoader);
				ServletParts.webSockets(beanFactory, parts, settings, stomp);
			}
		}
		else if (ClassUtils.isPresent(WEB_SOCKET_HANDLER_ADAPTER, classLoader)) {
			handOffs.put("sse", StreamHandOff.SSE);
			handOffs.put("websocket", StreamHandOff.WEBSOCKETS);
			ReactiveParts.register(beanFactory, parts, settings);
		}
		Duration spread = properties.getSpread();
		if (handOffs.containsValue(StreamHandOff.SSE)) {
			handOff(beanFactory, StreamHandOff.SSE, StreamHandOffListener.Kind.SSE, "SSE stream(s)", settings, spread);
		}
		if (handOffs.containsValue(StreamHandOff.WEBSOCKETS)) {
			handOff(beanFactory, StreamHandOff.WEBSOCKETS, StreamHandOffListener.Kind.WEBSOCKET,
					"WebSocket session(s)", settings, spread);
		}
		if (ClassUtils.isPresent(METER_BINDER, classLoader)
				&& parts.absent(StreamMeters.class)) {
			Singletons.define(beanFactory, "gracefulShutdownStreamMeters",
					new RootBeanDefinition(StreamMeters.class, () -> meters(handOffs, beanFactory)));
		}
	}

	private static StreamSettings settings(GracefulShutdownProperties.Streams streams, BeanFactory beanFactory) {
		GracefulShutdownProperties.LastEvent last = streams.getLastEvent();
		LastEvent lastEvent = last.isEnabled() ? new LastEvent(last.getName(), last.getData(), last.getRetry()) : null;
		return new StreamSettings(lastEvent, streams.getCloseReason(),
				beanFactory.getBeanProvider(StreamHandOffListener.class).orderedStream().toList());
	}

	private static StreamMeters meters(Map<String, String> handOffs, BeanFactory beanFactory) {
		Map<String, StreamHandOff> byKind = new LinkedHashMap<>();
		for (Map.Entry<String, String> handOff : handOffs.entrySet()) {
			byKind.put(handOff.getKey(), beanFactory.getBean(handOff.getValue(), StreamHandOff.class));
		}
		return new StreamMeters(byKind);
	}

	/**
	 * The hand-off of one kind of stream, unless the application defines a bean of its
	 * name.
	 */
	private static void handOff(ConfigurableListableBeanFactory beanFactory, String name,
			StreamHandOffListener.Kind type, String kind, Supplier<StreamSettings> settings, Duration spread) {
		if (!beanFactory.containsBeanDefinition(name)) {
			Singletons.register(beanFactory, name,
					new StreamHandOff(name, new OpenStreams(type, kind, () -> settings.get().listeners()), spread));
		}
	}

	private static Supplier<OpenStreams> streams(BeanFactory beanFactory, String name) {
		return SingletonSupplier.of(() -> beanFactory.getBean(name, StreamHandOff.class).streams());
	}

	/**
	 * The servlet stack's parts, in a class of their own so that a reactive application
	 * does not load the types they name.
	 */
	private static final class ServletParts {

		static void sse(ConfigurableListableBeanFactory beanFactory, Singletons parts,
				Supplier<StreamSettings> settings) {
			if (parts.absent(SseEmitterTracking.class)) {
				Singletons.register(beanFactory, "gracefulShutdownSseEmitterTracking",
						new SseEmitterTracking(streams(beanFactory, StreamHandOff.SSE), settings));
			}
		}

		static void webSockets(ConfigurableListableBeanFactory beanFactory, Singletons parts,
				Supplier<StreamSettings> settings, boolean stomp) {
			Supplier<OpenStreams> streams = streams(beanFactory, StreamHandOff.WEBSOCKETS);
			if (parts.absent(WebSocketSessionTracking.class)) {
				Singletons.register(beanFactory, "gracefulShutdownWebSocketSessionTracking",
						new WebSocketSessionTracking(streams, settings));
			}
			if (stomp && parts.absent(StompSessionTracking.class)) {
				Singletons.register(beanFactory, "gracefulShutdownStompSessionTracking",
						new StompSessionTracking(streams, settings));
			}
		}

	}

	/**
	 * The reactive stack's parts, in a class of their own so that a servlet application
	 * does not load the types they name.
	 */
	private static final class ReactiveParts {

		static void register(ConfigurableListableBeanFactory beanFactory, Singletons parts,
				Supplier<StreamSettings> settings) {
			if (parts.absent(EventStreamHandOffFilter.class)) {
				Singletons.register(beanFactory, "gracefulShutdownEventStreamHandOffFilter",
						new EventStreamHandOffFilter(streams(beanFactory, StreamHandOff.SSE), settings));
			}
			if (parts.absent(WebSocketHandlerAdapterTracking.class)) {
				Singletons.register(beanFactory, "gracefulShutdownWebSocketHandlerAdapterTracking",
						new WebSocketHandlerAdapterTracking(streams(beanFactory, StreamHandOff.WEBSOCKETS), settings));
			}
		}

	}

}
