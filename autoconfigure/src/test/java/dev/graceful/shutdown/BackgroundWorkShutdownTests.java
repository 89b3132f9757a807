package dev.graceful.shutdown;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;

import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Tasks;
import dev.graceful.shutdown.tasks.ExecutorTracking;
import dev.graceful.shutdown.tasks.LateMailConfiguration;
import dev.graceful.shutdown.tasks.LateMailer;
import dev.graceful.shutdown.tasks.Mailer;
import dev.graceful.shutdown.tasks.StopAction;
import dev.graceful.shutdown.tasks.WorkRegistry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Background work at shutdown in real application contexts: {@code @Async} work
 * submitted while the shutdown is under way is accepted and awaited, a {@code @Scheduled}
 * run under way completes and no new one starts, tracked work is awaited, and work that
 * outlives the tasks timeout is cancelled or named as abandoned.
 */
class BackgroundWorkShutdownTests {

	/** One thread, so that work submitted together is queued, not all running at once. */
	private static final String SINGLE_THREAD_EXECUTOR = "spring.task.execution.pool.core-size=1";

	private @Nullable ConfigurableApplicationContext context;

	private final List<Thread> threads = new CopyOnWriteArrayList<>();

	private final AtomicBoolean release = new AtomicBoolean();

	@AfterEach
	void cleanUp() throws InterruptedException {
		this.release.set(true);
		if (this.context != null) {
			this.context.close();
		}
		for (Thread thread : this.threads) {
			thread.interrupt();
			thread.join(10_000);
		}
	}

	@Test
	void asyncWorkSubmittedWhileTheShutdownIsUnderWayIsAcceptedAndCompletes() {
		this.context = run(AsyncConfiguration.class, SINGLE_THREAD_EXECUTOR);
		Mailer mailer = this.context.getBean(Mailer.class);
		LateMailer submitter = this.context.getBean(LateMailer.class);
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(submitter.accepted).hasValue(LateMailer.MAILS);
		assertThat(submitter.rejected).hasValue(0);
		assertThat(mailer.sentCount()).isEqualTo(LateMailer.MAILS);
		assertThat(mailer.interruptedCount()).isZero();
		assertThat(report.tasks()).isEqualTo(new Tasks(LateMailer.MAILS, 0, 0, 0, List.of()));
		assertThat(report.phase("tasks")).extracting(ShutdownReport.Phase::outcome).isEqualTo(Outcome.COMPLETED);
	}

	@Test
	void withoutTheStarterAsyncWorkSubmittedWhileTheContextClosesIsAcceptedButNotAllRun() {
		// Spring Framework 7 keeps ThreadPoolTaskExecutor open after ContextClosedEvent,
		// but its lifecycle stop waits only for running tasks and its destruction drops
		// the queue and interrupts the rest.
		this.context = run(AsyncConfiguration.class, SINGLE_THREAD_EXECUTOR, "graceful.shutdown.enabled=false");
		Mailer mailer = this.context.getBean(Mailer.class);
		LateMailer submitter = this.context.getBean(LateMailer.class);
		this.context.close();
		assertThat(submitter.accepted).hasValue(LateMailer.MAILS);
		assertThat(mailer.sentCount()).isLessThan(LateMailer.MAILS);
	}

	@Test
	void asyncWorkSubmittedFromAShutdownCallbackCompletes() {
		this.context = run(AsyncConfiguration.class, SINGLE_THREAD_EXECUTOR);
		Mailer mailer = this.context.getBean(Mailer.class);
		WorkRegistry tracker = this.context.getBean(WorkRegistry.class);
		AtomicInteger submitted = new AtomicInteger();
		tracker.onShutdown(() -> {
			for (int i = 0; i < 3; i++) {
				mailer.send();
				submitted.incrementAndGet();
			}
		});
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(submitted).hasValue(3);
		assertThat(mailer.sentCount()).isEqualTo(3 + LateMailer.MAILS);
		assertThat(mailer.interruptedCount()).isZero();
		assertThat(report.tasks()).isEqualTo(new Tasks(3 + LateMailer.MAILS, 0, 0, 0, List.of()));
	}

	@Test
	void scheduledRunUnderWayWhenTheShutdownStartsCompletesAndNoNewRunStarts() throws InterruptedException {
		this.context = run(SchedulingConfiguration.class, "spring.task.scheduling.pool.size=1");
		Ticker ticker = this.context.getBean(Ticker.class);
		WorkRegistry tracker = this.context.getBean(WorkRegistry.class);
		assertThat(ticker.slowRunStarted.await(30, TimeUnit.SECONDS)).isTrue();
		assertThat(tracker.active()).extracting(WorkTracker.Work::name)
			.containsExactly("taskScheduler: " + Ticker.class.getName() + ".tick");
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(ticker.startedAtClose).hasValue(Ticker.SLOW_RUN);
		assertThat(ticker.started).hasValue(Ticker.SLOW_RUN);
		assertThat(ticker.finished).hasValue(Ticker.SLOW_RUN);
		assertThat(ticker.interrupted).hasValue(0);
		Tasks tasks = report.tasks();
		assertThat(tasks).isNotNull();
		assertThat(tasks.completed()).isEqualTo(1);
		// The scheduler stays open until the tasks step: the next run came due and was
		// skipped, which also ends the periodic schedule.
		assertThat(tasks.skipped()).isEqualTo(1);
		assertThat(tasks.cancelled()).isZero();
		assertThat(tasks.abandoned()).isEmpty();
	}

	@Test
	void trackedWorkOnAPlainThreadIsAwaitedBeforeCloseReturns() throws InterruptedException {
		this.context = run(PlainConfiguration.class, "graceful.shutdown.tasks.timeout=20s");
		WorkRegistry tracker = this.context.getBean(WorkRegistry.class);
		CountDownLatch started = new CountDownLatch(1);
		AtomicBoolean finished = new AtomicBoolean();
		AtomicReference<Instant> deadline = new AtomicReference<>();
		start("importer", () -> {
			try (WorkTracker.Work work = tracker.start("nightly-import")) {
				started.countDown();
				tracker.awaitShutdown(Duration.ofSeconds(60));
				while (tracker.deadline().isEmpty()) {
					Thread.sleep(5);
				}
				deadline.set(tracker.deadline().get());
				// Finishing the batch under way after the shutdown started.
				Thread.sleep(300);
				finished.set(true);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
		Instant beforeClose = Instant.now();
		ShutdownReport report = ShutdownReports.close(this.context);
		Instant afterClose = Instant.now();
		assertThat(finished).isTrue();
		assertThat(tracker.active()).isEmpty();
		assertThat(report.tasks()).isEqualTo(new Tasks(1, 0, 0, 0, List.of()));
		assertThat(report.phase("tasks")).extracting(ShutdownReport.Phase::outcome).isEqualTo(Outcome.COMPLETED);
		assertThat(deadline.get()).isBetween(beforeClose.plusSeconds(20), afterClose.plusSeconds(20));
	}

	@Test
	void withoutTheStarterCloseDoesNotWaitForTrackedWork() throws InterruptedException {
		this.context = run(PlainConfiguration.class, "graceful.shutdown.enabled=false");
		WorkRegistry tracker = this.context.getBean(WorkRegistry.class);
		CountDownLatch started = new CountDownLatch(1);
		CountDownLatch releaseWork = new CountDownLatch(1);
		start("importer", () -> {
			try (WorkTracker.Work work = tracker.start("nightly-import")) {
				started.countDown();
				releaseWork.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
		this.context.close();
		assertThat(tracker.active()).extracting(WorkTracker.Work::name).containsExactly("nightly-import");
		releaseWork.countDown();
	}

	@Test
	void workThatIgnoresCancellationIsAbandonedAndNamedAndTheShutdownStillEnds() throws InterruptedException {
		this.context = run(PlainConfiguration.class, "graceful.shutdown.tasks.timeout=500ms",
				"graceful.shutdown.tasks.cancel-grace=200ms");
		WorkRegistry tracker = this.context.getBean(WorkRegistry.class);
		CountDownLatch started = new CountDownLatch(1);
		AtomicInteger swallowedInterrupts = new AtomicInteger();
		start("stubborn-worker", () -> {
			try (WorkTracker.Work work = tracker.start("stubborn-import")) {
				started.countDown();
				stubbornLoop(swallowedInterrupts);
			}
		});
		assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
		long startNanos = System.nanoTime();
		ShutdownReport report = ShutdownReports.close(this.context);
		long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
		Tasks tasks = report.tasks();
		assertThat(tasks).isNotNull();
		assertThat(tasks.abandoned()).singleElement().satisfies((abandoned) -> {
			assertThat(abandoned.name()).isEqualTo("stubborn-import");
			assertThat(abandoned.thread()).isEqualTo("stubborn-worker");
			assertThat(abandoned.at()).contains(BackgroundWorkShutdownTests.class.getName() + ".stubbornLoop(");
			assertThat(abandoned.runningMs()).isGreaterThanOrEqualTo(500);
		});
		assertThat(tasks.completed()).isZero();
		assertThat(tasks.cancelled()).isZero();
		assertThat(report.phase("tasks")).extracting(ShutdownReport.Phase::outcome).isEqualTo(Outcome.TIMED_OUT);
		assertThat(tracker.isCancelled()).isTrue();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(swallowedInterrupts).hasValue(1));
		// Bounded by tasks.timeout + cancel-grace, with generous slack for a loaded machine.
		assertThat(tookMillis).isBetween(500L, 500L + 200L + 10_000L);
		assertThat(tracker.active()).extracting(WorkTracker.Work::name).containsExactly("stubborn-import");
	}

	@Test
	void workThatHonoursTheInterruptEndsAsCancelledWithoutWaitingOutTheGrace() throws InterruptedException {
		this.context = run(PlainConfiguration.class, "graceful.shutdown.tasks.timeout=500ms",
				"graceful.shutdown.tasks.cancel-grace=20s");
		WorkRegistry tracker = this.context.getBean(WorkRegistry.class);
		CountDownLatch started = new CountDownLatch(1);
		AtomicBoolean sawCancellation = new AtomicBoolean();
		start("polite-worker", () -> {
			try (WorkTracker.Work work = tracker.start("polite-import")) {
				started.countDown();
				try {
					Thread.sleep(60_000);
				}
				catch (InterruptedException ex) {
					// Recorded before the work closes, which is what the shutdown waits for.
					sawCancellation.set(tracker.isCancelled());
				}
			}
		});
		assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
		long startNanos = System.nanoTime();
		ShutdownReport report = ShutdownReports.close(this.context);
		long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
		assertThat(report.tasks()).isEqualTo(new Tasks(0, 1, 0, 0, List.of()));
		assertThat(report.phase("tasks")).extracting(ShutdownReport.Phase::outcome).isEqualTo(Outcome.TIMED_OUT);
		assertThat(sawCancellation).isTrue();
		assertThat(tracker.active()).isEmpty();
		// Far below timeout + the 20 s grace: the step moves on as soon as the work ends.
		assertThat(tookMillis).isBetween(500L, 15_000L);
	}

	@Test
	void cancelCallbacksRunWhenTheTasksTimeoutIsReached() throws InterruptedException {
		this.context = run(PlainConfiguration.class, "graceful.shutdown.tasks.timeout=300ms",
				"graceful.shutdown.tasks.cancel-grace=5s");
		WorkRegistry tracker = this.context.getBean(WorkRegistry.class);
		CountDownLatch started = new CountDownLatch(1);
		CountDownLatch stop = new CountDownLatch(1);
		List<String> events = new CopyOnWriteArrayList<>();
		tracker.onCancel(() -> {
			events.add("cancel callback");
			stop.countDown();
		});
		start("consumer", () -> {
			// Waits on something that does not respond to interrupts: only the callback ends it.
			try (WorkTracker.Work work = tracker.start("queue-consumer")) {
				started.countDown();
				awaitUninterruptibly(stop);
				events.add("consumer stopped");
			}
		});
		assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
		ShutdownReport report = ShutdownReports.close(this.context);
		assertThat(events).containsExactly("cancel callback", "consumer stopped");
		assertThat(report.tasks()).isEqualTo(new Tasks(0, 1, 0, 0, List.of()));
	}

	private void stubbornLoop(AtomicInteger swallowedInterrupts) {
		while (!this.release.get()) {
			try {
				Thread.sleep(20);
			}
			catch (InterruptedException ex) {
				swallowedInterrupts.incrementAndGet();
			}
		}
	}

	private static void awaitUninterruptibly(CountDownLatch latch) {
		boolean interrupted = false;
		while (latch.getCount() > 0) {
			try {
				latch.await();
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

	private void start(String name, Runnable runnable) {
		Thread thread = new Thread(runnable, name);
		thread.setDaemon(true);
		this.threads.add(thread);
		thread.start();
	}

	private static ConfigurableApplicationContext run(Class<?> configuration, String... properties) {
		return new SpringApplicationBuilder(configuration).web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			.properties(properties)
			.run();
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class PlainConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@Import(LateMailConfiguration.class)
	static class AsyncConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@EnableScheduling
	static class SchedulingConfiguration {

		@Bean
		Ticker ticker() {
			return new Ticker();
		}

		@Bean
		HoldAfterSlowRun holdAfterSlowRun(Ticker ticker, ExecutorTracking executorTracking) {
			return new HoldAfterSlowRun(ticker, executorTracking);
		}

	}

	/**
	 * A job on a 50 ms rate whose third run is still under way when the context closes:
	 * it waits for the close to start, then works 300 ms more.
	 */
	static class Ticker implements ApplicationListener<ContextClosedEvent> {

		static final int SLOW_RUN = 3;

		final AtomicInteger started = new AtomicInteger();

		final AtomicInteger finished = new AtomicInteger();

		final AtomicInteger interrupted = new AtomicInteger();

		final AtomicInteger startedAtClose = new AtomicInteger(-1);

		final CountDownLatch slowRunStarted = new CountDownLatch(1);

		final CountDownLatch slowRunEnded = new CountDownLatch(1);

		private final CountDownLatch closing = new CountDownLatch(1);

		@Scheduled(fixedRate = 50)
		public void tick() {
			int run = this.started.incrementAndGet();
			try {
				if (run == SLOW_RUN) {
					this.slowRunStarted.countDown();
					this.closing.await(30, TimeUnit.SECONDS);
					Thread.sleep(300);
				}
				this.finished.incrementAndGet();
			}
			catch (InterruptedException ex) {
				this.interrupted.incrementAndGet();
				Thread.currentThread().interrupt();
			}
			finally {
				if (run == SLOW_RUN) {
					this.slowRunEnded.countDown();
				}
			}
		}

		@Override
		public void onApplicationEvent(ContextClosedEvent event) {
			this.startedAtClose.set(this.started.get());
			this.closing.countDown();
		}

	}

	/**
	 * Keeps the shutdown above the tasks step, with the scheduler still open, until the
	 * slow run has ended and the next run of the 50 ms rate has come due.
	 */
	static class HoldAfterSlowRun extends StopAction {

		private final Ticker ticker;

		private final ExecutorTracking executorTracking;

		HoldAfterSlowRun(Ticker ticker, ExecutorTracking executorTracking) {
			this.ticker = ticker;
			this.executorTracking = executorTracking;
		}

		@Override
		protected void onStop() {
			try {
				this.ticker.slowRunEnded.await(30, TimeUnit.SECONDS);
				long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
				while (this.executorTracking.skippedCount() < 1 && System.nanoTime() - giveUp < 0) {
					Thread.sleep(10);
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

}
