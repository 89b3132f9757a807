package dev.graceful.shutdown.timeline;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.testsupport.RawHttp;
import dev.graceful.shutdown.web.RequestTracker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One overall budget, {@code graceful.shutdown.timeout}, caps the steps: a request that
 * would outlast it is cut off at the drain, leaving the tasks and cleanup their reserve.
 */
@Timeout(120)
@ExtendWith(OutputCaptureExtension.class)
class BudgetCappedShutdownTests {

	private static final Duration BUDGET = Duration.ofSeconds(3);

	private ConfigurableApplicationContext context;

	@AfterEach
	void closeContext() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void drainIsCutSoThatTheShutdownFitsTheBudget(CapturedOutput output) throws Exception {
		this.context = new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.SERVLET)
			.properties("server.port=0", "spring.main.banner-mode=off", "graceful.shutdown.timeout=" + BUDGET.toSeconds() + "s",
					"graceful.shutdown.delay=0s", "graceful.shutdown.tasks.timeout=1s",
					"graceful.shutdown.cleanup.timeout=1s")
			.registerShutdownHook(false)
			.run();
		int port = ((WebServerApplicationContext) this.context).getWebServer().getPort();
		ShutdownRecorder progress = this.context.getBean(ShutdownRecorder.class);
		RequestTracker requests = this.context.getBean(RequestTracker.class);
		CompletableFuture<RawHttp.Response> slow = RawHttp.fetchAsync(port, "/sleep?ms=10000");
		awaitInFlight(requests);

		long start = System.nanoTime();
		this.context.close();
		Duration closing = Duration.ofNanos(System.nanoTime() - start);

		ShutdownReport report = progress.report();
		assertThat(output).contains("Graceful shutdown plan: delay 0 ms, drain up to 1000 ms, tasks up to 1000 ms")
			.contains("budget 3000 ms + 2000 ms watchdog margin: needs terminationGracePeriodSeconds >= 5")
			.contains("Graceful shutdown: drain capped at ");
		assertThat(report.phase("drain").outcome()).isEqualTo(Outcome.TIMED_OUT);
		assertThat(report.phase("drain").durationMs()).as("the drain gets what the reserve leaves")
			.isLessThan(BUDGET.toMillis());
		assertThat(report.requests()).isEqualTo(new ShutdownReport.Requests(1, 0, 1));
		assertThat(report.totalMs()).isLessThan(BUDGET.toMillis());
		assertThat(closing).as("close() returns within the budget plus slack, long before the request ends")
			.isLessThan(BUDGET.plusSeconds(4));
		slow.handle((response, failure) -> null).get(30, TimeUnit.SECONDS);
	}

	private static void awaitInFlight(RequestTracker requests) throws InterruptedException {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		while (requests.inFlight() != 1) {
			assertThat(System.nanoTime() - deadline).as("waiting for the request to arrive").isNegative();
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

	}

	@RestController
	static class SleepController {

		@GetMapping("/sleep")
		String sleep(@RequestParam long ms) throws InterruptedException {
			Thread.sleep(ms);
			return "slept";
		}

	}

}
