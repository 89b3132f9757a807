package dev.graceful.shutdown.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.cleanup.CleanupRegistry;
import dev.graceful.shutdown.tasks.WorkRegistry;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for {@code graceful.shutdown.enabled=false}: keeps the public API
 * injectable, so that turning the starter off never breaks the application, but inert.
 * Spring Boot's own shutdown applies: work started with {@link WorkTracker} is not
 * awaited, cleanups registered with {@link ShutdownCleanups} do not run, and shutdown
 * participants are not called.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = GracefulShutdownProperties.ENABLED, havingValue = false)
@EnableConfigurationProperties(GracefulShutdownProperties.class)
public final class GracefulShutdownDisabledAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	WorkTracker gracefulShutdownWorkTracker(GracefulShutdownProperties properties) {
		// A shutdown that never begins: the tracker counts work but nothing waits for it.
		return new WorkRegistry(new ShutdownRecorder(new ShutdownBudget(properties.getTimeout())));
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownCleanups gracefulShutdownCleanups(GracefulShutdownProperties properties) {
		return new CleanupRegistry(properties.getCleanup().getTimeout());
	}

}
