package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.web.context.reactive.ReactiveWebApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.core.Ordered;
import org.springframework.util.ClassUtils;
import org.springframework.util.function.SingletonSupplier;
import org.springframework.web.context.WebApplicationContext;

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

import static dev.graceful.shutdown.autoconfigure.Singletons.register;
import static dev.graceful.shutdown.autoconfigure.Singletons.unlessDefined;

/**
 * Registers the hand-off of long-lived streams, after the core's parts (see
 * {@link ShutdownCoreRegistrar}): for each kind of stream that the application's stack
 * has, its hand-off participant ({@value StreamHandOff#SSE},
 * {@value StreamHandOff#WEBSOCKETS}) and the post-processor or filter that tracks the
 * streams, as ready-made singletons; the settings and the meters, which read the
 * application's {@link StreamHandOffListener} beans and the hand-offs, as bean
 * definitions that Spring creates when first asked.
 * <p>
 * The application replaces a hand-off with a bean of its name, and any other part with a
 * bean of its type, as {@code @ConditionalOnMissingBean} would.
 */
final class StreamPartsRegistrar implements BeanFactoryPostProcessor, Ordered, ApplicationContextAware {

	private static final String SSE_EMITTER = "org.springframework.web.servlet.mvc.method.annotation.SseEmitter";

	private static final String WEB_SOCKET_HANDLER = "org.springframework.web.socket.WebSocketHandler";

	private static final String BROKER_MESSAGE_HANDLER = "org.springframework.messaging.simp.broker."
			+ "AbstractBrokerMessageHandler";

	private static final String WEB_SOCKET_HANDLER_ADAPTER = "org.springframework.web.reactive.socket.server.support."
			+ "WebSocketHandlerAdapter";

	private static final String METER_BINDER = "io.micrometer.core.instrument.binder.MeterBinder";

	private static final String SERVLET_CONTEXT = "org.springframework.web.context.WebApplicationContext";

	private static final String REACTIVE_CONTEXT = "org.springframework.boot.web.context.reactive."
			+ "ReactiveWebApplicationContext";

	private @Nullable ApplicationContext applicationContext;

	@Override
	public void setApplicationContext(ApplicationContext applicationContext) {
		this.applicationContext = applicationContext;
	}

	@Override
	public int getOrder() {
		return Singletons.STACK_ORDER;
	}

	@Override
	public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) throws BeansException {
		ApplicationContext context = Objects.requireNonNull(this.applicationContext, "applicationContext");
		ClassLoader classLoader = beanFactory.getBeanClassLoader();
		GracefulShutdownProperties.Streams properties = Singletons.properties(beanFactory).getWeb().getStreams();
		BeanDefinitionRegistry registry = (BeanDefinitionRegistry) beanFactory;
		if (Singletons.defined(beanFactory, StreamSettings.class).length == 0) {
			registry.registerBeanDefinition("gracefulShutdownStreamSettings", new RootBeanDefinition(
					StreamSettings.class, () -> settings(properties, beanFactory)));
		}
		Supplier<StreamSettings> settings = SingletonSupplier.of(() -> beanFactory.getBean(StreamSettings.class));
		// The hand-offs registered, by the tag of their meters.
		Map<String, String> handOffs = new LinkedHashMap<>();
		if (isServlet(context, classLoader)) {
			if (ClassUtils.isPresent(SSE_EMITTER, classLoader)) {
				handOffs.put("sse", StreamHandOff.SSE);
				ServletParts.sse(beanFactory, settings);
			}
			if (ClassUtils.isPresent(WEB_SOCKET_HANDLER, classLoader)) {
				handOffs.put("websocket", StreamHandOff.WEBSOCKETS);
				boolean stomp = ClassUtils.isPresent(BROKER_MESSAGE_HANDLER, classLoader);
				ServletParts.webSockets(beanFactory, settings, stomp);
			}
		}
		else if (isReactive(context, classLoader) && ClassUtils.isPresent(WEB_SOCKET_HANDLER_ADAPTER, classLoader)) {
			handOffs.put("sse", StreamHandOff.SSE);
			handOffs.put("websocket", StreamHandOff.WEBSOCKETS);
			ReactiveParts.register(beanFactory, settings);
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
				&& Singletons.defined(beanFactory, StreamMeters.class).length == 0) {
			registry.registerBeanDefinition("gracefulShutdownStreamMeters",
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
		handOffs.forEach((kind, name) -> byKind.put(kind, beanFactory.getBean(name, StreamHandOff.class)));
		return new StreamMeters(byKind);
	}

	/**
	 * The hand-off of one kind of stream, unless the application defines a bean of its
	 * name.
	 */
	private static void handOff(ConfigurableListableBeanFactory beanFactory, String name,
			StreamHandOffListener.Kind type, String kind, Supplier<StreamSettings> settings, Duration spread) {
		if (!beanFactory.containsBeanDefinition(name)) {
			register(beanFactory, name,
					new StreamHandOff(name, new OpenStreams(type, kind, () -> settings.get().listeners()), spread));
		}
	}

	private static Supplier<OpenStreams> streams(BeanFactory beanFactory, String name) {
		return SingletonSupplier.of(() -> beanFactory.getBean(name, StreamHandOff.class).streams());
	}

	private static boolean isServlet(ApplicationContext context, ClassLoader classLoader) {
		return ClassUtils.isPresent(SERVLET_CONTEXT, classLoader) && context instanceof WebApplicationContext;
	}

	private static boolean isReactive(ApplicationContext context, ClassLoader classLoader) {
		return ClassUtils.isPresent(REACTIVE_CONTEXT, classLoader) && context instanceof ReactiveWebApplicationContext;
	}

	/**
	 * The servlet stack's parts, in a class of their own so that a reactive application
	 * does not load the types they name.
	 */
	private static final class ServletParts {

		static void sse(ConfigurableListableBeanFactory beanFactory, Supplier<StreamSettings> settings) {
			unlessDefined(beanFactory, "gracefulShutdownSseEmitterTracking", SseEmitterTracking.class,
					() -> new SseEmitterTracking(streams(beanFactory, StreamHandOff.SSE), settings));
		}

		static void webSockets(ConfigurableListableBeanFactory beanFactory, Supplier<StreamSettings> settings,
				boolean stomp) {
			Supplier<OpenStreams> streams = streams(beanFactory, StreamHandOff.WEBSOCKETS);
			unlessDefined(beanFactory, "gracefulShutdownWebSocketSessionTracking", WebSocketSessionTracking.class,
					() -> new WebSocketSessionTracking(streams, settings));
			if (stomp) {
				unlessDefined(beanFactory, "gracefulShutdownStompSessionTracking", StompSessionTracking.class,
						() -> new StompSessionTracking(streams, settings));
			}
		}

	}

	/**
	 * The reactive stack's parts, in a class of their own so that a servlet application
	 * does not load the types they name.
	 */
	private static final class ReactiveParts {

		static void register(ConfigurableListableBeanFactory beanFactory, Supplier<StreamSettings> settings) {
			unlessDefined(beanFactory, "gracefulShutdownEventStreamHandOffFilter", EventStreamHandOffFilter.class,
					() -> new EventStreamHandOffFilter(streams(beanFactory, StreamHandOff.SSE), settings));
			unlessDefined(beanFactory, "gracefulShutdownWebSocketHandlerAdapterTracking",
					WebSocketHandlerAdapterTracking.class, () -> new WebSocketHandlerAdapterTracking(
							streams(beanFactory, StreamHandOff.WEBSOCKETS), settings));
		}

	}

}
