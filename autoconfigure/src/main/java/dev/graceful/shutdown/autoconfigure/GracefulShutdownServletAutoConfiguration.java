package dev.graceful.shutdown.autoconfigure;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import org.apache.catalina.startup.Tomcat;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.tomcat.TomcatContextCustomizer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.servlet.ContainerRequestCount;
import dev.graceful.shutdown.web.servlet.InFlightRequestFilter;
import dev.graceful.shutdown.web.servlet.TomcatRequestCounting;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for servlet applications: the filter that counts requests and
 * hands keep-alive connections off once the shutdown has started, and on Tomcat the
 * reading of Tomcat's own count of requests in flight, which leaves the filter nothing to
 * count before the shutdown.
 */
@AutoConfiguration(after = GracefulShutdownWebAutoConfiguration.class)
@ConditionalOnWebApplication(type = Type.SERVLET)
@ConditionalOnClass({ Filter.class, WebServerApplicationContext.class })
@ConditionalOnGracefulShutdownEnabled
public final class GracefulShutdownServletAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "gracefulShutdownInFlightRequestFilter")
	FilterRegistrationBean<InFlightRequestFilter> gracefulShutdownInFlightRequestFilter(RequestTracker tracker,
			GracefulShutdownProperties properties, ObjectProvider<ContainerRequestCount> containerCount) {
		FilterRegistrationBean<InFlightRequestFilter> registration = new FilterRegistrationBean<>(
				new InFlightRequestFilter(tracker, properties.getWeb().isConnectionClose(),
						containerCount.getIfUnique()));
		// First in, last out: count the request around everything else, security included.
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
		registration.setDispatcherTypes(DispatcherType.REQUEST);
		registration.setName("gracefulShutdownInFlightRequestFilter");
		return registration;
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass({ Tomcat.class, TomcatContextCustomizer.class })
	static class TomcatRequestCountingConfiguration {

		@Bean
		@ConditionalOnMissingBean
		TomcatRequestCounting gracefulShutdownTomcatRequestCounting() {
			return new TomcatRequestCounting();
		}

	}

}
