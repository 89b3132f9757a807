package dev.graceful.shutdown.tasks;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.autoconfigure.task.TaskSchedulingAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.core.task.TaskRejectedException;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Tasks;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.autoconfigure.GracefulShutdownAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ExecutorTracking}: which Spring executors are put under the shutdown's
 * control, and what {@code graceful.shutdown.tasks.excluded-executors} and
 * {@code graceful.shutdown.tasks.track-executors} leave to Spring's own shutdown.
 */
class ExecutorTrackingTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ApplicationAvailabilityAutoConfiguration.class,
				TaskExecutionAutoConfiguration.class, TaskSchedulingAutoConfiguration.class,
				GracefulShutdownAutoConfiguration.class))
		.withPropertyValues("spring.task.execution.pool.core-size=1", "spring.task.scheduling.pool.size=1");

	@Test
	void springExecutorAndSchedulerAreTrackedByBeanName() {
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class, SchedulingConfiguration.class)
			.run((context) -> assertThat(context.getBean(ExecutorTracking.class).executors())
				.containsOnlyKeys("applicationTaskExecutor", "taskScheduler"));
	}

	@Test
	void excludedExecutorIsNotTracked() {
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class, SchedulingConfiguration.class)
			.withPropertyValues("graceful.shutdown.tasks.excluded-executors=applicationTaskExecutor")
			.run((context) -> assertThat(context.getBean(ExecutorTracking.class).executors())
				.containsOnlyKeys("taskScheduler"));
	}

	@Test
	void trackedExecutorRunsEveryTaskSubmittedDuringTheShutdown() {
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class)
			.run(ExecutorTrackingTests::assertEveryLateMailIsSentAndAwaited);
	}

	@Test
	void excludedExecutorIsLeftToSpringsShutdownAndItsQueueIsNotAwaited() {
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class)
			.withPropertyValues("graceful.shutdown.tasks.excluded-executors=applicationTaskExecutor")
			.run((context) -> {
				Mailer mailer = context.getBean(Mailer.class);
				LateMailer late = context.getBean(LateMailer.class);
				ShutdownReport report = ShutdownReports.close(context);
				assertThat(late.accepted).hasValue(LateMailer.MAILS);
				assertThat(mailer.sentCount()).isLessThan(LateMailer.MAILS);
				assertThat(report.tasks()).isEqualTo(new Tasks(0, 0, 0, 0, List.of()));
			});
	}

	@Test
	void trackExecutorsFalseLeavesEveryExecutorToSpringsShutdown() {
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class)
			.withPropertyValues("graceful.shutdown.tasks.track-executors=false")
			.run((context) -> {
				assertThat(context).doesNotHaveBean(ExecutorTracking.class);
				assertThat(context).hasSingleBean(TaskDrain.class);
				Mailer mailer = context.getBean(Mailer.class);
				LateMailer late = context.getBean(LateMailer.class);
				ShutdownReport report = ShutdownReports.close(context);
				assertThat(late.accepted).hasValue(LateMailer.MAILS);
				assertThat(mailer.sentCount()).isLessThan(LateMailer.MAILS);
				assertThat(report.tasks()).isEqualTo(new Tasks(0, 0, 0, 0, List.of()));
			});
	}

	@Test
	void excludedSchedulerRejectsTasksOnceTheContextCloses() {
		this.contextRunner.withUserConfiguration(SchedulingConfiguration.class)
			.withPropertyValues("graceful.shutdown.tasks.excluded-executors=taskScheduler")
			.run((context) -> {
				LateScheduling late = context.getBean(LateScheduling.class);
				ShutdownReport report = ShutdownReports.close(context);
				assertThat(late.rejected).hasValue(LateScheduling.TASKS);
				assertThat(late.accepted).hasValue(0);
				assertThat(late.ran).hasValue(0);
				assertThat(report.tasks()).isEqualTo(new Tasks(0, 0, 0, 0, List.of()));
			});
	}

	@Test
	void trackedSchedulerRunsOneOffTasksHandedToItDuringTheShutdown() {
		// Runs planned before the shutdown are skipped once it has begun, but one-off work
		// handed to the scheduler while requests are still served is accepted and run.
		this.contextRunner.withUserConfiguration(SchedulingConfiguration.class).run((context) -> {
			LateScheduling late = context.getBean(LateScheduling.class);
			ShutdownReport report = ShutdownReports.close(context);
			assertThat(late.accepted).hasValue(LateScheduling.TASKS);
			assertThat(late.rejected).hasValue(0);
			assertThat(late.ran).hasValue(LateScheduling.TASKS);
			assertThat(report.tasks()).isEqualTo(new Tasks(LateScheduling.TASKS, 0, 0, 0, List.of()));
		});
	}

	@Test
	void threadPerTaskExecutorTasksAreAwaitedAndItsOwnDecoratorStillRuns() {
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class, ThreadPerTaskConfiguration.class)
			.run((context) -> {
				ExecutorTracking tracking = context.getBean(ExecutorTracking.class);
				assertThat(tracking.threadPerTaskExecutors()).containsExactly("applicationTaskExecutor");
				assertThat(tracking.executors()).doesNotContainKey("applicationTaskExecutor");
				Mailer mailer = context.getBean(Mailer.class);
				LateMailer late = context.getBean(LateMailer.class);
				AtomicInteger decorated = context.getBean(ThreadPerTaskConfiguration.class).decorated;
				ShutdownReport report = ShutdownReports.close(context);
				assertThat(late.accepted).hasValue(LateMailer.MAILS);
				assertThat(mailer.sentCount()).isEqualTo(LateMailer.MAILS);
				assertThat(decorated).hasValue(LateMailer.MAILS);
				assertThat(report.tasks()).isEqualTo(new Tasks(LateMailer.MAILS, 0, 0, 0, List.of()));
			});
	}

	@Test
	void excludedThreadPerTaskExecutorIsNotAwaited() {
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class, ThreadPerTaskConfiguration.class)
			.withPropertyValues("graceful.shutdown.tasks.excluded-executors=applicationTaskExecutor")
			.run((context) -> {
				assertThat(context.getBean(ExecutorTracking.class).threadPerTaskExecutors()).isEmpty();
				LateMailer late = context.getBean(LateMailer.class);
				ShutdownReport report = ShutdownReports.close(context);
				assertThat(late.accepted).hasValue(LateMailer.MAILS);
				// Not awaited: the mails may or may not be sent by now, and none is counted.
				assertThat(report.tasks()).isEqualTo(new Tasks(0, 0, 0, 0, List.of()));
			});
	}

	@Test
	void threadPerTaskTasksAreAwaitedEvenBeforeTheirThreadsReachThem() {
		// The threads are started, but reach their tasks only once the tasks step is
		// waiting (as virtual threads may on busy carriers): each task counts from the
		// moment it is handed to the executor.
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class, GatedThreadPerTaskConfiguration.class)
			.run((context) -> {
				GatedThreadPerTaskConfiguration gate = context.getBean(GatedThreadPerTaskConfiguration.class);
				WorkRegistry tracker = context.getBean(WorkRegistry.class);
				tracker.onShutdown(() -> new Thread(() -> {
					await().atMost(Duration.ofSeconds(10))
						.until(() -> tracker.active().size() == LateMailer.MAILS
								&& tracker.active().stream().noneMatch(WorkTracker.Work::hasBegun));
					gate.release.countDown();
				}).start());
				assertEveryLateMailIsSentAndAwaited(context);
				assertThat(gate.threads).hasValue(LateMailer.MAILS);
			});
	}

	@Test
	void threadPerTaskTasksWhoseThreadsArriveAfterTheTimeoutAreDroppedAndCountedAsNeverStarted() {
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class, GatedThreadPerTaskConfiguration.class)
			.withPropertyValues("graceful.shutdown.tasks.timeout=200ms", "graceful.shutdown.tasks.cancel-grace=50ms")
			.run((context) -> {
				GatedThreadPerTaskConfiguration gate = context.getBean(GatedThreadPerTaskConfiguration.class);
				WorkRegistry tracker = context.getBean(WorkRegistry.class);
				Mailer mailer = context.getBean(Mailer.class);
				LateMailer late = context.getBean(LateMailer.class);
				ShutdownReport report = ShutdownReports.close(context);
				assertThat(late.accepted).hasValue(LateMailer.MAILS);
				assertThat(report.tasks()).isEqualTo(new Tasks(0, 0, LateMailer.MAILS, 0, List.of()));
				gate.release.countDown();
				await().atMost(Duration.ofSeconds(10)).until(() -> gate.finished.get() == LateMailer.MAILS);
				assertThat(mailer.sentCount()).isZero();
				assertThat(tracker.droppedCount()).isEqualTo(LateMailer.MAILS);
				assertThat(tracker.finishedCount()).isZero();
			});
	}

	@Test
	void threadPerTaskExecutorThatRejectsAtItsLimitLeavesNothingToWaitFor() {
		// It may refuse a task after decorating it: counted when its thread runs it, so that
		// the refused ones are not waited for until the timeout.
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class, RejectingThreadPerTaskConfiguration.class)
			.withPropertyValues("graceful.shutdown.tasks.timeout=5s")
			.run((context) -> {
				Mailer mailer = context.getBean(Mailer.class);
				LateMailer late = context.getBean(LateMailer.class);
				// Counted only once running: let the accepted one get there first.
				late.awaitStartedBeforeTheTasksStep = true;
				ShutdownReport report = ShutdownReports.close(context);
				assertThat(late.accepted).hasValue(1);
				assertThat(late.rejected).hasValue(LateMailer.MAILS - 1);
				assertThat(mailer.sentCount()).isEqualTo(1);
				assertThat(report.tasks()).isEqualTo(new Tasks(1, 0, 0, 0, List.of()));
				assertThat(report.phases()).filteredOn((phase) -> phase.name().equals(TaskDrain.STEP))
					.singleElement()
					.satisfies((phase) -> assertThat(phase.outcome()).isEqualTo(Outcome.COMPLETED));
			});
	}

	@Test
	@EnabledForJreRange(min = JRE.JAVA_21)
	void springBootsVirtualThreadExecutorTasksAreAwaited() {
		this.contextRunner.withUserConfiguration(LateMailConfiguration.class)
			.withPropertyValues("spring.threads.virtual.enabled=true")
			.run((context) -> {
				assertThat(context.getBean("applicationTaskExecutor")).isInstanceOf(SimpleAsyncTaskExecutor.class);
				assertEveryLateMailIsSentAndAwaited(context);
			});
	}

	private static void assertEveryLateMailIsSentAndAwaited(ConfigurableApplicationContext context) {
		Mailer mailer = context.getBean(Mailer.class);
		LateMailer late = context.getBean(LateMailer.class);
		ShutdownReport report = ShutdownReports.close(context);
		assertThat(late.accepted).hasValue(LateMailer.MAILS);
		assertThat(mailer.sentCount()).isEqualTo(LateMailer.MAILS);
		assertThat(report.tasks()).isEqualTo(new Tasks(LateMailer.MAILS, 0, 0, 0, List.of()));
	}

	@Test
	void scheduledMethodRunIsNamedAfterTheMethod() {
		Runnable run = new Runnable() {

			@Override
			public void run() {
			}

			@Override
			public String toString() {
				return "DelegatingErrorHandlingRunnable for com.example.ReportJob.export]";
			}

		};
		assertThat(ExecutorTracking.describe("taskScheduler", run)).isEqualTo("taskScheduler: com.example.ReportJob.export");
	}

	@Test
	void otherTaskIsNamedAfterTheExecutorBean() {
		assertThat(ExecutorTracking.describe("applicationTaskExecutor", () -> {
		})).isEqualTo("applicationTaskExecutor task");
	}

	@Configuration(proxyBeanMethods = false)
	static class ThreadPerTaskConfiguration {

		final AtomicInteger decorated = new AtomicInteger();

		@Bean
		SimpleAsyncTaskExecutor applicationTaskExecutor() {
			SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor("mail-");
			executor.setTaskDecorator((task) -> () -> {
				this.decorated.incrementAndGet();
				task.run();
			});
			return executor;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class RejectingThreadPerTaskConfiguration {

		@Bean
		SimpleAsyncTaskExecutor applicationTaskExecutor() {
			SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor("mail-");
			executor.setConcurrencyLimit(1);
			executor.setRejectTasksWhenLimitReached(true);
			return executor;
		}

	}

	/**
	 * A thread-per-task executor whose threads, once started, wait for {@link #release}
	 * before they run their task.
	 */
	@Configuration(proxyBeanMethods = false)
	static class GatedThreadPerTaskConfiguration {

		final CountDownLatch release = new CountDownLatch(1);

		final AtomicInteger threads = new AtomicInteger();

		final AtomicInteger finished = new AtomicInteger();

		@Bean
		SimpleAsyncTaskExecutor applicationTaskExecutor() {
			SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor();
			executor.setThreadFactory((task) -> {
				Thread thread = new Thread(() -> {
					this.threads.incrementAndGet();
					try {
						if (this.release.await(10, TimeUnit.SECONDS)) {
							task.run();
						}
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
					finally {
						this.finished.incrementAndGet();
					}
				}, "gated-mail-" + this.threads.get());
				thread.setDaemon(true);
				return thread;
			});
			return executor;
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableScheduling
	static class SchedulingConfiguration {

		@Bean
		LateScheduling lateScheduling(ThreadPoolTaskScheduler taskScheduler,
				ObjectProvider<ExecutorTracking> executorTracking) {
			return new LateScheduling(taskScheduler, executorTracking);
		}

	}

	/**
	 * Hands one-off tasks to the scheduler in the middle of the shutdown.
	 */
	static class LateScheduling extends StopAction {

		static final int TASKS = 3;

		final AtomicInteger accepted = new AtomicInteger();

		final AtomicInteger rejected = new AtomicInteger();

		final AtomicInteger ran = new AtomicInteger();

		private final ThreadPoolTaskScheduler scheduler;

		private final ObjectProvider<ExecutorTracking> executorTracking;

		LateScheduling(ThreadPoolTaskScheduler scheduler, ObjectProvider<ExecutorTracking> executorTracking) {
			this.scheduler = scheduler;
			this.executorTracking = executorTracking;
		}

		@Override
		protected void onStop() {
			for (int i = 0; i < TASKS; i++) {
				try {
					this.scheduler.execute(this.ran::incrementAndGet);
					this.accepted.incrementAndGet();
				}
				catch (TaskRejectedException ex) {
					this.rejected.incrementAndGet();
				}
			}
			// Let the scheduler thread reach the accepted tasks before the tasks step shuts
			// it down (which drops tasks still queued), so that each is decided by the skip.
			ExecutorTracking tracking = this.executorTracking.getObject();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> tracking.skippedCount() + this.ran.get() >= this.accepted.get());
		}

	}

}
