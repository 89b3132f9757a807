package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the web steps shared by servlet and reactive applications: the
 * request tracker, the lame-duck delay and the drain monitor, placed around
 * {@link WebServerApplicationContext#GRACEFUL_SHUTDOWN_PHASE}. The servlet, reactive and
 * streams auto-configurations, which use the request tracker, have the same conditions.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnWebApplication
@ConditionalOnClass(WebServerApplicationContext.class)
@ConditionalOnGracefulShutdownEnabled
public final class GracefulShutdownWebAutoConfiguration {

	/**
	 * The web parts, registered as ready-made singletons before any bean is created (see
	 * {@link WebPartsRegistrar}).
	 */
	@Bean
	static BeanFactoryPostProcessor gracefulShutdownWeb() {
		return new WebPartsRegistrar();
	}

}
