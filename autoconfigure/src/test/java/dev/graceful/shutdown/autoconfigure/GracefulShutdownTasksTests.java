package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.tasks.ExecutorTracking;
import dev.graceful.shutdown.tasks.TaskDrain;
import dev.graceful.shutdown.tasks.WorkRegistry;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the tasks parts that {@link ShutdownCoreRegistrar} registers, and for the
 * inert public API it registers with {@code graceful.shutdown.enabled=false}.
 */
class GracefulShutdownTasksTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("spring.main.cloud-platform=none")
		.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class));

	@Test
	void providesTrackerExecutorTrackingAndTaskDrainByDefault() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.hasSingleBean(WorkTracker.class)
			.hasSingleBean(ExecutorTracking.class)
			.hasSingleBean(TaskDrain.class));
	}

	@Test
	void executorTrackingIsASingletonWithoutBeanDefinition() {
		this.contextRunner.run((context) -> RegisteredParts.assertSingletonsWithoutDefinitions(context.getBeanFactory(),
				"gracefulShutdownExecutorTracking"));
	}

	@Test
	void backsOffToUserExecutorTracking() {
		ExecutorTracking mine = new ExecutorTracking(new StaticListableBeanFactory().getBeanProvider(WorkTracker.class),
				List.of());
		this.contextRunner.withBean("myTracking", ExecutorTracking.class, () -> mine)
			.run((context) -> assertThat(context).getBean(ExecutorTracking.class).isSameAs(mine));
	}

	@Test
	void leavesExecutorsAloneWhenTrackingIsOff() {
		this.contextRunner.withPropertyValues("graceful.shutdown.tasks.track-executors=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(ExecutorTracking.class)
				.hasSingleBean(WorkTracker.class)
				.hasSingleBean(TaskDrain.class));
	}

	@Test
	void backsOffToUserWorkTracker() {
		this.contextRunner.withUserConfiguration(UserWorkTrackerConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(WorkTracker.class)
				.getBean(WorkTracker.class)
				.isSameAs(context.getBean(UserWorkTrackerConfiguration.class).tracker));
	}

	@Test
	void keepsTheApiInjectableButInertWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false").run((context) -> {
			assertThat(context).hasNotFailed()
				.hasSingleBean(WorkTracker.class)
				.hasSingleBean(ShutdownCleanups.class)
				.doesNotHaveBean(ShutdownRecorder.class)
				.doesNotHaveBean(ExecutorTracking.class)
				.doesNotHaveBean(TaskDrain.class);
			RegisteredParts.assertSingletonsWithoutDefinitions(context.getBeanFactory(), "gracefulShutdownWorkTracker",
					"gracefulShutdownCleanups");
			WorkTracker tracker = context.getBean(WorkTracker.class);
			context.close();
			assertThat(tracker.isShutdownRequested()).isFalse();
		});
	}

	@Test
	void keepsTheApplicationsWorkTrackerWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.withUserConfiguration(UserWorkTrackerConfiguration.class)
			.run((context) -> assertThat(context).getBean(WorkTracker.class)
				.isSameAs(context.getBean(UserWorkTrackerConfiguration.class).tracker));
	}

	@Configuration(proxyBeanMethods = false)
	static class UserWorkTrackerConfiguration {

		final WorkRegistry tracker = new WorkRegistry(new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30))));

		@Bean
		WorkTracker userWorkTracker() {
			return this.tracker;
		}

	}

}
