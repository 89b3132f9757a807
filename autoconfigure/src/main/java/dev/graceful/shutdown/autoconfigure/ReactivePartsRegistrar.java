package dev.graceful.shutdown.autoconfigure;

import java.lang.reflect.Modifier;
import java.util.function.Predicate;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;
import org.springframework.web.server.ServerWebExchange;

import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.DrainMonitor;
import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.reactive.InFlightWebFilter;
import dev.graceful.shutdown.web.reactive.NettyRequestTracking;

/**
 * Registers the reactive parts as ready-made singletons, after the web ones (see
 * {@link WebPartsRegistrar}, which calls it): the filter that counts requests and hands
 * keep-alive connections off once the shutdown has started and, where Reactor Netty is the
 * server, the counting on the server's channels, which leaves the filter out of the
 * application's filter chain. The reactive web server application context looks them up
 * when it creates the server and the HTTP handler, before any other bean is created.
 * <p>
 * The application replaces the filter with a bean of its type.
 */
final class ReactivePartsRegistrar {

	static final String WEB_FILTER = "gracefulShutdownInFlightWebFilter";

	/**
	 * With this class, {@link #NETTY_CUSTOMIZER} and {@link #WEBFLUX_PROPERTIES}: the
	 * Reactor Netty parts.
	 */
	static final String REACTOR_NETTY = "reactor.netty.http.server.HttpServer";

	static final String NETTY_CUSTOMIZER = "org.springframework.boot.reactor.netty.NettyServerCustomizer";

	static final String WEBFLUX_PROPERTIES = "org.springframework.boot.webflux.autoconfigure.WebFluxProperties";

	private static final String SERVER_FACTORY = "org.springframework.boot.web.server.reactive."
			+ "ReactiveWebServerFactory";

	private static final String NETTY_SERVER_FACTORY = "org.springframework.boot.reactor.netty."
			+ "NettyReactiveWebServerFactory";

	private static final String HANDLER_BUILDER_CUSTOMIZER = "org.springframework.boot.webflux.autoconfigure."
			+ "WebHttpHandlerBuilderCustomizer";

	private static final String BASE_PATH = "spring.webflux.base-path";

	private ReactivePartsRegistrar() {
	}

	static void register(ConfigurableListableBeanFactory beanFactory, Singletons parts, Environment environment,
			RequestTracker tracker, DrainMonitor drainMonitor, boolean connectionClose) {
		ClassLoader classLoader = beanFactory.getBeanClassLoader();
		Predicate<ServerWebExchange> countedByServer = (exchange) -> false;
		if (Singletons.allPresent(classLoader, REACTOR_NETTY, NETTY_CUSTOMIZER, WEBFLUX_PROPERTIES)
				&& !otherServer(parts, beanFactory, classLoader)) {
			String basePath = Binder.get(environment).bind(BASE_PATH, String.class).orElse("");
			countedByServer = NettyParts.register(beanFactory, tracker, drainMonitor, connectionClose, basePath,
					ClassUtils.isPresent(HANDLER_BUILDER_CUSTOMIZER, classLoader));
		}
		if (parts.absent(InFlightWebFilter.class)) {
			Singletons.register(beanFactory, WEB_FILTER, new InFlightWebFilter(tracker, connectionClose, countedByServer));
		}
	}

	/**
	 * Whether the application's server is known to be one other than Reactor Netty: Tomcat
	 * or Jetty, with Reactor Netty on the class path for its HTTP client. Each server
	 * factory it defines then has a concrete type other than Reactor Netty's; where one's
	 * type is not known (a factory method that returns the interface), the counting on
	 * Reactor Netty's channels is registered, and stays idle unless Reactor Netty serves.
	 */
	private static boolean otherServer(Singletons parts, ConfigurableListableBeanFactory beanFactory,
			ClassLoader classLoader) {
		if (!ClassUtils.isPresent(SERVER_FACTORY, classLoader)) {
			return false;
		}
		String[] factories = parts.defined(ClassUtils.resolveClassName(SERVER_FACTORY, classLoader));
		for (String name : factories) {
			Class<?> type = beanFactory.getType(name, false);
			if (type == null || type.isInterface() || Modifier.isAbstract(type.getModifiers()) || isNetty(type)) {
				return false;
			}
		}
		return factories.length > 0;
	}

	private static boolean isNetty(Class<?> type) {
		for (Class<?> current = type; current != null; current = current.getSuperclass()) {
			if (current.getName().equals(NETTY_SERVER_FACTORY)) {
				return true;
			}
		}
		return false;
	}

	/**
	 * The Reactor Netty parts, in a class of their own so that other servers do not load
	 * the types they name.
	 */
	private static final class NettyParts {

		/**
		 * Registers the counting on the server's channels, with the closing of its listening
		 * channel as the drain starts, and, when the application's
		 * filter chain can be customized, the removal of the filter from it once the
		 * server has been configured: a filter costs every request a longer chain of
		 * Reactor operators, even one that only passes the request on. The server is
		 * configured (in {@code onRefresh}) before the {@code HttpHandler} is built.
		 * @return whether the server counts a request
		 */
		static Predicate<ServerWebExchange> register(ConfigurableListableBeanFactory beanFactory,
				RequestTracker tracker, DrainMonitor drainMonitor, boolean connectionClose, String basePath,
				boolean customizableChain) {
			NettyRequestTracking netty = Singletons.register(beanFactory, "gracefulShutdownNettyRequestTracking",
					new NettyRequestTracking(beanFactory.getBean(ShutdownRecorder.class), tracker, connectionClose,
							basePath));
			drainMonitor.beforeDrain(netty::stopAccepting);
			if (customizableChain) {
				Singletons.register(beanFactory, "gracefulShutdownFilterChainCustomizer",
						(WebHttpHandlerBuilderCustomizer) (builder) -> {
							if (netty.isApplied()) {
								builder.filters((filters) -> filters.removeIf(InFlightWebFilter.class::isInstance));
							}
						});
			}
			return netty::countsRequestOf;
		}

	}

}
