package dev.graceful.shutdown.metrics;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.streams.StreamMeters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/**
 * The shutdown's meters reach push registries, whose only chance to send them is the
 * publish on close: Spring Boot closes registries on {@code ContextClosedEvent}, before
 * any step has run, unless that is deferred (the default).
 */
@Timeout(120)
class DeferredMeterRegistryClosingTests {

	private static final String STEP = GracefulShutdownMetrics.STEP;

	private ConfigurableApplicationContext context;

	@AfterEach
	void closeContext() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void publishOnCloseCarriesEveryStepCleanupAndTheWholeShutdown() {
		start();
		RecordingPushMeterRegistry registry = this.context.getBean(RecordingPushMeterRegistry.class);

		ShutdownReport report = ShutdownReports.close(this.context);

		assertThat(report.phases()).extracting(ShutdownReport.Phase::name)
			.containsExactly("readiness", "delay", "drain", "tasks", "cleanup");
		assertThat(registry.publications()).as("only the publish on close").hasSize(1);
		Map<String, Double> published = registry.publications().get(0);
		assertThat(published).contains(entry(STEP + "{outcome=COMPLETED,step=readiness}", 1.0),
				entry(STEP + "{outcome=COMPLETED,step=delay}", 1.0), entry(STEP + "{outcome=COMPLETED,step=drain}", 1.0),
				entry(STEP + "{outcome=COMPLETED,step=tasks}", 1.0),
				entry(STEP + "{outcome=COMPLETED,step=cleanup}", 1.0),
				entry(GracefulShutdownMetrics.CLEANUP + "{name=cache.flush,outcome=COMPLETED}", 1.0),
				entry(GracefulShutdownMetrics.DURATION + "{}", 1.0),
				entry(GracefulShutdownMetrics.REQUESTS_ABORTED + "{}", 0.0),
				entry(GracefulShutdownMetrics.WORK_ABANDONED + "{}", 0.0),
				entry(GracefulShutdownMetrics.REQUESTS_ACTIVE + "{}", 0.0),
				entry(GracefulShutdownMetrics.WORK_ACTIVE + "{}", 0.0));
	}

	@Test
	void withoutDeferralTheRegistryIsPublishedAndClosedBeforeTheStepsRun() {
		start("graceful.shutdown.metrics.defer-registry-close=false");
		RecordingPushMeterRegistry registry = this.context.getBean(RecordingPushMeterRegistry.class);

		ShutdownReport report = ShutdownReports.close(this.context);

		assertThat(report.phases()).extracting(ShutdownReport.Phase::name)
			.as("the steps did run")
			.containsExactly("readiness", "delay", "drain", "tasks", "cleanup");
		assertThat(registry.publications()).hasSize(1);
		assertThat(registry.publications().get(0).keySet()).as("published before the steps")
			.filteredOn((meter) -> meter.startsWith("graceful.shutdown.") && !meter.endsWith("step=readiness}"))
			.containsOnly(GracefulShutdownMetrics.REQUESTS_ABORTED + "{}", GracefulShutdownMetrics.WORK_ABANDONED + "{}",
					GracefulShutdownMetrics.REQUESTS_ACTIVE + "{}", GracefulShutdownMetrics.WORK_ACTIVE + "{}",
					StreamMeters.OPEN + "{kind=sse}", StreamMeters.OPEN + "{kind=websocket}");
	}

	private void start(String... properties) {
		this.context = new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.SERVLET)
			.properties("server.port=0", "spring.main.banner-mode=off", "graceful.shutdown.delay=200ms")
			.properties(properties)
			.registerShutdownHook(false)
			.run();
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		RecordingPushMeterRegistry recordingPushMeterRegistry() {
			return new RecordingPushMeterRegistry();
		}

		@Bean
		Cleanups cleanups() {
			return new Cleanups();
		}

	}

	static class Cleanups {

		@OnShutdown(name = "cache.flush")
		void flush() {
		}

	}

}
