package dev.graceful.shutdown.metrics;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.testsupport.RawHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shutdown's meters on the application's own {@link SimpleMeterRegistry}, with a
 * request cut off by the drain, background work abandoned and a cleanup that fails.
 */
@Timeout(180)
class GracefulShutdownMetricsTests {

	private final CountDownLatch releaseWork = new CountDownLatch(1);

	private ConfigurableApplicationContext context;

	@AfterEach
	void closeContext() {
		this.releaseWork.countDown();
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void metersRecordEveryStepCleanupAbortedRequestAndAbandonedWork() throws Exception {
		this.context = new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.SERVLET)
			.properties("server.port=0", "spring.main.banner-mode=off", "graceful.shutdown.delay=0s",
					"spring.lifecycle.timeout-per-shutdown-phase=1s", "graceful.shutdown.tasks.timeout=500ms",
					"graceful.shutdown.tasks.cancel-grace=0s")
			.registerShutdownHook(false)
			.run();
		MeterRegistry registry = this.context.getBean(MeterRegistry.class);
		int port = ((WebServerApplicationContext) this.context).getWebServer().getPort();
		WorkTracker tracker = this.context.getBean(WorkTracker.class);
		Thread worker = new Thread(() -> stubbornWork(tracker), "stubborn-worker");
		worker.setDaemon(true);
		worker.start();
		CompletableFuture<RawHttp.Response> slow = RawHttp.fetchAsync(port, "/sleep?ms=5000");
		DoubleSupplier requestsActive = () -> registry.get(GracefulShutdownMetrics.REQUESTS_ACTIVE).gauge().value();
		DoubleSupplier workActive = () -> registry.get(GracefulShutdownMetrics.WORK_ACTIVE).gauge().value();
		awaitValue(requestsActive, 1);
		awaitValue(workActive, 1);

		ShutdownReport report = ShutdownReports.close(this.context);

		assertThat(registry).isInstanceOf(SimpleMeterRegistry.class);
		assertThat(report.requests().aborted()).isEqualTo(1);
		assertThat(report.tasks().abandoned()).hasSize(1);
		assertThat(stepCount(registry, "readiness", "COMPLETED")).isEqualTo(1);
		assertThat(stepCount(registry, "delay", "SKIPPED")).isEqualTo(1);
		assertThat(stepCount(registry, "drain", "TIMED_OUT")).isEqualTo(1);
		assertThat(stepCount(registry, "tasks", "TIMED_OUT")).isEqualTo(1);
		assertThat(stepCount(registry, "cleanup", "FAILED")).isEqualTo(1);
		assertThat(registry.find(GracefulShutdownMetrics.STEP).timers()).hasSize(5);
		Timer drain = registry.get(GracefulShutdownMetrics.STEP).tag("step", "drain").timer();
		assertThat(drain.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(report.phase("drain").durationMs());
		assertThat(registry.get(GracefulShutdownMetrics.CLEANUP)
			.tag("name", "disk.sync")
			.tag("outcome", "FAILED")
			.timer()
			.count()).isEqualTo(1);
		Timer duration = registry.get(GracefulShutdownMetrics.DURATION).timer();
		assertThat(duration.count()).isEqualTo(1);
		assertThat(duration.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(report.totalMs());
		assertThat(registry.get(GracefulShutdownMetrics.REQUESTS_ABORTED).counter().count()).isEqualTo(1);
		assertThat(registry.get(GracefulShutdownMetrics.WORK_ABANDONED).counter().count()).isEqualTo(1);
		assertThat(workActive.getAsDouble()).as("the abandoned work still runs").isEqualTo(1);
		this.releaseWork.countDown();
		worker.join(10_000);
		assertThat(workActive.getAsDouble()).isZero();
		slow.handle((response, failure) -> null).get(30, TimeUnit.SECONDS);
	}

	private void stubbornWork(WorkTracker tracker) {
		try (WorkTracker.Work work = tracker.start("stubborn-export")) {
			boolean released = false;
			while (!released) {
				try {
					released = this.releaseWork.await(10, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					// Ignores cancellation, like work stuck in a call that does not check.
				}
			}
		}
	}

	private static double stepCount(MeterRegistry registry, String step, String outcome) {
		return registry.get(GracefulShutdownMetrics.STEP).tag("step", step).tag("outcome", outcome).timer().count();
	}

	private static void awaitValue(DoubleSupplier value, double expected) throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (value.getAsDouble() != expected) {
			assertThat(System.nanoTime() - deadline).as("waiting for " + expected).isNegative();
			Thread.sleep(10);
		}
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		SleepController sleepController() {
			return new SleepController();
		}

		@Bean
		FailingCleanup failingCleanup() {
			return new FailingCleanup();
		}

	}

	@RestController
	static class SleepController {

		@GetMapping("/sleep")
		String sleep(@RequestParam long ms) throws InterruptedException {
			Thread.sleep(ms);
			return "slept";
		}

	}

	static class FailingCleanup {

		@OnShutdown(name = "disk.sync")
		void sync() {
			throw new IllegalStateException("disk full");
		}

	}

}
