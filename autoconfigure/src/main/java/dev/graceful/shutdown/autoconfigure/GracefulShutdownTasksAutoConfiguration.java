package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.tasks.ExecutorTracking;
import dev.graceful.shutdown.tasks.TaskDrain;
import dev.graceful.shutdown.tasks.WorkRegistry;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for background work: the {@link WorkTracker}, the tracking of
 * Spring's executors and the tasks step that waits for them after the HTTP drain.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnGracefulShutdownEnabled
public final class GracefulShutdownTasksAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(WorkTracker.class)
	WorkRegistry gracefulShutdownWorkTracker(ShutdownRecorder progress) {
		return new WorkRegistry(progress);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty(name = GracefulShutdownProperties.TRACK_EXECUTORS, matchIfMissing = true)
	static ExecutorTracking gracefulShutdownExecutorTracking(ObjectProvider<WorkTracker> workTracker,
			Environment environment) {
		// A post-processor is created before configuration properties beans are bound.
		return new ExecutorTracking(workTracker, GracefulShutdownProperties.excludedExecutors(environment));
	}

	@Bean
	@ConditionalOnMissingBean
	TaskDrain gracefulShutdownTaskDrain(ShutdownRecorder progress, WorkTracker workTracker,
			ObjectProvider<ExecutorTracking> executorTracking, GracefulShutdownProperties properties) {
		if (!(workTracker instanceof WorkRegistry registry)) {
			throw new IllegalStateException("The WorkTracker bean must be the starter's own (a "
					+ WorkRegistry.class.getName() + "), not a " + workTracker.getClass().getName()
					+ ": remove your WorkTracker bean, or set graceful.shutdown.enabled=false");
		}
		return new TaskDrain(progress, registry, executorTracking.getIfAvailable(),
				properties.getTasks().getTimeout(), properties.getTasks().getCancelGrace(),
				properties.getCleanup().getTimeout());
	}

}
