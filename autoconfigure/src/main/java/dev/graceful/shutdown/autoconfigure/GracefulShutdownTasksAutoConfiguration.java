package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.tasks.ExecutorTracking;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the tracking of Spring's executors, which the tasks step waits
 * for after the HTTP drain. The {@link WorkTracker} and the tasks step are parts of the
 * core (see {@link ShutdownCoreRegistrar}).
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnGracefulShutdownEnabled
public final class GracefulShutdownTasksAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty(name = GracefulShutdownProperties.TRACK_EXECUTORS, matchIfMissing = true)
	static ExecutorTracking gracefulShutdownExecutorTracking(ObjectProvider<WorkTracker> workTracker,
			Environment environment) {
		// A post-processor is created before configuration properties beans are bound.
		return new ExecutorTracking(workTracker, GracefulShutdownProperties.excludedExecutors(environment));
	}

}
