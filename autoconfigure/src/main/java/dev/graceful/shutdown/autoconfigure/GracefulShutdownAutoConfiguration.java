package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the parts of graceful shutdown that every application has: the
 * record of the shutdown and its budget, its start (readiness), the shutdown
 * participants, the cleanups, {@code @OnShutdown} methods, the background work and the
 * tracking of Spring's executors, the report, the web parts, the health contributor and
 * the meters. The steps and the phases they run in are listed in
 * {@link dev.graceful.shutdown.timeline.ShutdownTimeline}. With
 * {@code graceful.shutdown.enabled=false} only the public API is registered, inert.
 */
@AutoConfiguration(after = ApplicationAvailabilityAutoConfiguration.class)
@EnableConfigurationProperties(GracefulShutdownProperties.class)
public final class GracefulShutdownAutoConfiguration {

	/**
	 * The parts, registered as ready-made singletons before any bean is created (see
	 * {@link ShutdownCoreRegistrar}).
	 */
	@Bean
	static BeanFactoryPostProcessor gracefulShutdownCore() {
		return new ShutdownCoreRegistrar();
	}

}
