package dev.graceful.shutdown.actuate;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.testsupport.RawHttp;
import dev.graceful.shutdown.testsupport.RawHttp.Response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/**
 * {@code /actuator/gracefulshutdown} and the {@code gracefulShutdown} health contributor
 * over a real server on a random port: Tomcat for Spring MVC, Reactor Netty for WebFlux.
 */
@Timeout(120)
class GracefulShutdownEndpointWebTests {

	private ConfigurableApplicationContext context;

	private Thread closer;

	@AfterEach
	void closeContext() throws InterruptedException {
		if (this.context != null) {
			this.context.close();
		}
		if (this.closer != null) {
			this.closer.join(60_000);
		}
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(value = WebApplicationType.class, names = { "SERVLET", "REACTIVE" })
	void endpointShowsRunningStateWithThePlannedTimeline(WebApplicationType type) {
		int port = start(type, "graceful.shutdown.delay=3s", "graceful.shutdown.timeout=20s",
				"graceful.shutdown.tasks.timeout=4s", "graceful.shutdown.cleanup.timeout=2s",
				"spring.lifecycle.timeout-per-shutdown-phase=25s");

		Response response = RawHttp.fetch(port, "/actuator/gracefulshutdown");

		assertThat(response.status()).isEqualTo(200);
		assertThat(response.<String>json("$.state")).isEqualTo("RUNNING");
		assertThat(response.<Map<String, Object>>json("$")).doesNotContainKeys("elapsedMs", "step", "report");
		assertThat(response.<Integer>json("$.inFlightRequests")).as("the endpoint's own request").isEqualTo(1);
		assertThat(response.<Map<String, Object>>json("$.plan")).contains(entry("delayMs", 3000),
				entry("tasksTimeoutMs", 4000), entry("cleanupTimeoutMs", 2000), entry("budgetMs", 20000),
				// 20 s budget - 3 s delay - (4 s tasks + 2 s cleanup) reserve
				entry("drainMaxMs", 11000), entry("watchdog", true),
				// 20 s budget + 2 s default watchdog margin
				entry("requiredGracePeriodSeconds", 22));
		assertThat(response.<List<String>>json("$.plan.cleanups[*].name")).containsExactly("cache.flush",
				"pool.close");
		assertThat(response.<List<Integer>>json("$.plan.cleanups[*].order")).containsExactly(1, 2);
		assertThat(response.<List<Integer>>json("$.plan.cleanups[*].timeoutMs")).containsExactly(2000, 500);
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(value = WebApplicationType.class, names = { "SERVLET", "REACTIVE" })
	void endpointAndHealthShowTheShutdownLiveWhileLivenessStaysUpAndReadinessIsDown(WebApplicationType type) {
		int port = start(type, "graceful.shutdown.delay=6s");
		// The first call of each initializes it: keep that out of the delay.
		for (String path : List.of("/actuator/gracefulshutdown", "/actuator/health", "/actuator/health/liveness",
				"/actuator/health/readiness")) {
			assertThat(RawHttp.fetch(port, path).status()).as(path + " before the shutdown").isEqualTo(200);
		}

		closeInBackground();
		Response duringDelay = awaitEndpoint(port, (response) -> "delay".equals(response.json("$.step")));
		Response health = RawHttp.fetch(port, "/actuator/health");
		Response liveness = RawHttp.fetch(port, "/actuator/health/liveness");
		Response readiness = RawHttp.fetch(port, "/actuator/health/readiness");
		Response later = RawHttp.fetch(port, "/actuator/gracefulshutdown");

		assertThat(duringDelay.<String>json("$.state")).isEqualTo("SHUTTING_DOWN");
		assertThat(duringDelay.<List<String>>json("$.report.phases[*].name")).containsExactly("readiness");
		assertThat(duringDelay.<Boolean>json("$.report.complete")).isFalse();
		assertThat(later.<String>json("$.state")).isEqualTo("SHUTTING_DOWN");
		assertThat(later.<String>json("$.step")).as("still serving through the delay").isEqualTo("delay");
		assertThat(later.<Integer>json("$.elapsedMs")).isPositive();
		assertThat(later.<Integer>json("$.stepElapsedMs")).isPositive();
		// Boot's readinessState component takes the aggregate down; ours stays UP.
		assertThat(health.<String>json("$.status")).as(health.body()).isEqualTo("OUT_OF_SERVICE");
		assertThat(health.<String>json("$.components.readinessState.status")).isEqualTo("OUT_OF_SERVICE");
		assertThat(health.<String>json("$.components.livenessState.status")).isEqualTo("UP");
		assertThat(health.<String>json("$.components.gracefulShutdown.status")).isEqualTo("UP");
		assertThat(health.<String>json("$.components.gracefulShutdown.details.state")).isEqualTo("SHUTTING_DOWN");
		assertThat(health.<String>json("$.components.gracefulShutdown.details.step")).isEqualTo("delay");
		assertThat(health.<Integer>json("$.components.gracefulShutdown.details.elapsedMs")).isNotNegative();
		assertThat(liveness.status()).isEqualTo(200);
		assertThat(liveness.<String>json("$.status")).isEqualTo("UP");
		assertThat(readiness.status()).isEqualTo(503);
		assertThat(readiness.<String>json("$.status")).isEqualTo("OUT_OF_SERVICE");
	}

	@ParameterizedTest(name = "{0}")
	@EnumSource(value = WebApplicationType.class, names = { "SERVLET", "REACTIVE" })
	void reportAfterTheShutdownListsEveryStepAndCleanupWithItsOutcome(WebApplicationType type) {
		start(type, "graceful.shutdown.delay=1s");
		GracefulShutdownEndpoint endpoint = this.context.getBean(GracefulShutdownEndpoint.class);

		this.context.close();
		Map<String, Object> result = EndpointJson.map(endpoint.shutdown(SecurityContext.NONE));

		assertThat(result).containsEntry("state", "SHUT_DOWN").doesNotContainKey("step");
		Map<String, Object> report = map(result.get("report"));
		assertThat(report).containsEntry("complete", true);
		assertThat(list(report.get("phases"))).extracting((phase) -> phase.get("name") + " " + phase.get("outcome"))
			.containsExactly("readiness COMPLETED", "delay COMPLETED", "drain COMPLETED", "tasks COMPLETED",
					"cleanup COMPLETED");
		assertThat(list(report.get("phases"))).filteredOn((phase) -> "delay".equals(phase.get("name")))
			.singleElement()
			.satisfies((delay) -> assertThat((long) delay.get("durationMs")).isGreaterThanOrEqualTo(1000));
		assertThat(list(report.get("cleanups"))).extracting((cleanup) -> cleanup.get("name") + " "
				+ cleanup.get("outcome"))
			.containsExactly("cache.flush COMPLETED", "pool.close COMPLETED");
		assertThat(map(report.get("requests"))).containsEntry("inFlightAtStart", 0L)
			.containsEntry("completed", 0L)
			.containsEntry("aborted", 0L);
		assertThat(map(report.get("tasks"))).containsEntry("completed", 0L).containsEntry("abandoned", List.of());
		assertThat((long) report.get("totalMs")).isGreaterThanOrEqualTo(1000);
	}

	private int start(WebApplicationType type, String... properties) {
		this.context = new SpringApplicationBuilder(TestApplication.class).web(type)
			.properties("server.port=0", "spring.main.banner-mode=off",
					"management.endpoints.web.exposure.include=health,gracefulshutdown",
					"management.endpoint.health.show-details=always", "management.endpoint.health.probes.enabled=true")
			.properties(properties)
			.registerShutdownHook(false)
			.run();
		return ((WebServerApplicationContext) this.context).getWebServer().getPort();
	}

	private void closeInBackground() {
		ConfigurableApplicationContext context = this.context;
		this.closer = new Thread(context::close, "test-context-closer");
		this.closer.start();
	}

	private static Response awaitEndpoint(int port, Predicate<Response> condition) {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		Response last = null;
		while (System.nanoTime() - deadline < 0) {
			last = RawHttp.fetch(port, "/actuator/gracefulshutdown");
			if (last.status() == 200 && condition.test(last)) {
				return last;
			}
			sleep(20);
		}
		throw new AssertionError("Endpoint never matched; last answer: " + last);
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		return (Map<String, Object>) value;
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> list(Object value) {
		return (List<Map<String, Object>>) value;
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		Cleanups cleanups() {
			return new Cleanups();
		}

	}

	static class Cleanups {

		@OnShutdown(order = 2, name = "pool.close", timeout = "500ms")
		void closePool() {
		}

		@OnShutdown(order = 1, name = "cache.flush")
		void flushCache() {
		}

	}

}
