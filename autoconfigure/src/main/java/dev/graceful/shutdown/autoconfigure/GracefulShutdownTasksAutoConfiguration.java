package dev.graceful.shutdown.autoconfigure;

import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.budget.ShutdownBudget;
import dev.graceful.shutdown.tasks.ExecutorTracking;
import dev.graceful.shutdown.tasks.TaskDrain;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for background work: the {@link WorkTracker}, the tracking of
 * Spring's executors and the tasks step that waits for them after the HTTP drain.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "graceful.shutdown.enabled", matchIfMissing = true)
public final class GracefulShutdownTasksAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	WorkTracker gracefulShutdownWorkTracker(ShutdownProgress progress) {
		return new WorkTracker(progress);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty(name = "graceful.shutdown.tasks.track-executors", matchIfMissing = true)
	static ExecutorTracking gracefulShutdownExecutorTracking(ObjectProvider<WorkTracker> workTracker,
			Environment environment) {
		// A post-processor is created before configuration properties are bound: bind here.
		List<String> excluded = Binder.get(environment)
			.bind("graceful.shutdown.tasks.excluded-executors", Bindable.listOf(String.class))
			.orElse(List.of());
		return new ExecutorTracking(workTracker, excluded);
	}

	@Bean
	@ConditionalOnMissingBean
	TaskDrain gracefulShutdownTaskDrain(ShutdownProgress progress, WorkTracker workTracker,
			ObjectProvider<ExecutorTracking> executorTracking, ShutdownPlan plan, ShutdownBudget budget) {
		return new TaskDrain(progress, workTracker, executorTracking.getIfAvailable(), plan.tasksTimeout(),
				plan.tasksCancelGrace(), budget, plan.cleanupTimeout(), ShutdownPhases.TASKS);
	}

}
