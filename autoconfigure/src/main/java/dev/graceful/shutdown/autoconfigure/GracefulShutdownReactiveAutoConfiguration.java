package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.server.WebFilter;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for reactive (WebFlux) applications: request counting and the
 * keep-alive hand-off once the shutdown has started, on the channel for Reactor Netty and
 * with a filter for other servers.
 */
@AutoConfiguration(after = GracefulShutdownWebAutoConfiguration.class)
@ConditionalOnWebApplication(type = Type.REACTIVE)
@ConditionalOnClass({ WebFilter.class, WebServerApplicationContext.class })
@ConditionalOnGracefulShutdownEnabled
public final class GracefulShutdownReactiveAutoConfiguration {

	/**
	 * The reactive parts, registered before any bean is created (see
	 * {@link ReactivePartsRegistrar}).
	 */
	@Bean
	static BeanFactoryPostProcessor gracefulShutdownReactive() {
		return new ReactivePartsRegistrar();
	}

}
