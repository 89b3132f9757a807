package dev.graceful.shutdown.autoconfigure;

import jakarta.servlet.DispatcherType;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.core.Ordered;
import org.springframework.util.ClassUtils;

import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.servlet.ContainerRequestCount;
import dev.graceful.shutdown.web.servlet.InFlightRequestFilter;
import dev.graceful.shutdown.web.servlet.TomcatRequestCounting;

/**
 * Registers the servlet parts as ready-made singletons, after the web ones (see
 * {@link WebPartsRegistrar}, which calls it): on Tomcat the reading of Tomcat's own count
 * of requests in flight, and the registration of the filter that counts the other
 * requests and hands keep-alive connections off once the shutdown has started. The
 * servlet web server application context looks the registration up when it creates the
 * server, before any other bean is created.
 * <p>
 * The application replaces the filter with a bean named
 * {@value #FILTER_REGISTRATION}, and the Tomcat count with a bean of its type.
 */
final class ServletPartsRegistrar {

	static final String FILTER_REGISTRATION = "gracefulShutdownInFlightRequestFilter";

	/** With this class and {@link #TOMCAT_CUSTOMIZER}: the Tomcat parts. */
	static final String TOMCAT = "org.apache.catalina.startup.Tomcat";

	static final String TOMCAT_CUSTOMIZER = "org.springframework.boot.tomcat.TomcatContextCustomizer";

	private ServletPartsRegistrar() {
	}

	static void register(ConfigurableListableBeanFactory beanFactory, Singletons parts, RequestTracker tracker,
			boolean connectionClose) {
		ClassLoader classLoader = beanFactory.getBeanClassLoader();
		if (ClassUtils.isPresent(TOMCAT, classLoader) && ClassUtils.isPresent(TOMCAT_CUSTOMIZER, classLoader)) {
			TomcatParts.register(beanFactory, parts);
		}
		if (beanFactory.containsBeanDefinition(FILTER_REGISTRATION)) {
			return;
		}
		FilterRegistrationBean<InFlightRequestFilter> registration = new FilterRegistrationBean<>(
				new InFlightRequestFilter(tracker, connectionClose, containerCount(beanFactory, parts)));
		// First in, last out: count the request around everything else, security included.
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
		registration.setDispatcherTypes(DispatcherType.REQUEST);
		registration.setName(FILTER_REGISTRATION);
		Singletons.register(beanFactory, FILTER_REGISTRATION, registration);
	}

	/**
	 * The server's own count of requests in flight, if there is exactly one.
	 */
	private static @Nullable ContainerRequestCount containerCount(ConfigurableListableBeanFactory beanFactory,
			Singletons parts) {
		String[] names = parts.defined(ContainerRequestCount.class);
		return (names.length == 1) ? beanFactory.getBean(names[0], ContainerRequestCount.class) : null;
	}

	/**
	 * The Tomcat parts, in a class of their own so that other servers do not load the
	 * types they name.
	 */
	private static final class TomcatParts {

		static void register(ConfigurableListableBeanFactory beanFactory, Singletons parts) {
			if (parts.absent(TomcatRequestCounting.class)) {
				Singletons.register(beanFactory, "gracefulShutdownTomcatRequestCounting", new TomcatRequestCounting());
			}
		}

	}

}
