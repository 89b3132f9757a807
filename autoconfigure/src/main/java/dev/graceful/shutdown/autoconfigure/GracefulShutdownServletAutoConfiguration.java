package dev.graceful.shutdown.autoconfigure;

import jakarta.servlet.Filter;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;

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

	/**
	 * The servlet parts, registered before any bean is created (see
	 * {@link ServletPartsRegistrar}).
	 */
	@Bean
	static BeanFactoryPostProcessor gracefulShutdownServlet() {
		return new ServletPartsRegistrar();
	}

}
