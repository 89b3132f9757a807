package dev.graceful.shutdown.actuate;

import java.nio.file.Path;
import java.security.Principal;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.testsupport.RawHttp;
import dev.graceful.shutdown.testsupport.RawHttp.Response;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Error messages in {@code /actuator/gracefulshutdown} follow
 * {@code management.endpoint.gracefulshutdown.show-details}: by default
 * ({@code when-authorized}) a reader who is not authenticated does not see them.
 */
@Timeout(120)
class GracefulShutdownEndpointDetailsTests {

	private static final String ERROR = "java.lang.IllegalStateException: disk full";

	private static final SecurityContext AUTHENTICATED = new SecurityContext() {

		@Override
		public Principal getPrincipal() {
			return () -> "ops";
		}

		@Override
		public boolean isUserInRole(String role) {
			return false;
		}

	};

	@TempDir
	Path temp;

	private ConfigurableApplicationContext context;

	@AfterEach
	void closeContext() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void failedCleanupErrorIsLeftOutForUnauthenticatedReadersByDefault() {
		start();
		GracefulShutdownEndpoint endpoint = this.context.getBean(GracefulShutdownEndpoint.class);
		ShutdownRecorder progress = this.context.getBean(ShutdownRecorder.class);

		this.context.close();

		ShutdownReport report = progress.report();
		assertThat(report.cleanups()).singleElement()
			.satisfies((cleanup) -> assertThat(cleanup.error()).as("the error there is to hide").isEqualTo(ERROR));
		assertThat(cleanups(EndpointJson.map(endpoint.shutdown(SecurityContext.NONE)))).singleElement()
			.satisfies((cleanup) -> assertThat(cleanup).containsEntry("name", "disk.sync")
				.containsEntry("outcome", "FAILED")
				.doesNotContainKey("error"));
		assertThat(cleanups(EndpointJson.map(endpoint.shutdown(AUTHENTICATED)))).singleElement()
			.satisfies((cleanup) -> assertThat(cleanup).containsEntry("error", ERROR));
	}

	@Test
	void failedCleanupErrorIsShownToEveryoneWhenShowDetailsIsAlways() {
		start("management.endpoint.gracefulshutdown.show-details=always");
		GracefulShutdownEndpoint endpoint = this.context.getBean(GracefulShutdownEndpoint.class);

		this.context.close();

		assertThat(cleanups(EndpointJson.map(endpoint.shutdown(SecurityContext.NONE)))).singleElement()
			.satisfies((cleanup) -> assertThat(cleanup).containsEntry("outcome", "FAILED").containsEntry("error", ERROR));
	}

	@Test
	void previousReportOverHttpShowsTheErrorOnlyWhenShowDetailsIsAlways() {
		String file = "graceful.shutdown.report.file=" + this.temp.resolve("report.json");
		start(file);
		this.context.close();

		int port = start(file);
		Response byDefault = RawHttp.fetch(port, "/actuator/gracefulshutdown");
		this.context.close();
		port = start(file, "management.endpoint.gracefulshutdown.show-details=always");
		Response always = RawHttp.fetch(port, "/actuator/gracefulshutdown");

		assertThat(byDefault.<List<String>>json("$.previousReport.cleanups[*].outcome")).containsExactly("FAILED");
		assertThat(byDefault.<List<Map<String, Object>>>json("$.previousReport.cleanups[*]")).singleElement()
			.satisfies((cleanup) -> assertThat(cleanup).containsEntry("name", "disk.sync").doesNotContainKey("error"));
		assertThat(always.<List<String>>json("$.previousReport.cleanups[*].error")).containsExactly(ERROR);
	}

	@Test
	@SuppressWarnings("unchecked")
	void activeWorkNamesItsThreadOnlyWithDetailsAndShowsHandOffsWaitingForTheirThread() {
		start();
		GracefulShutdownEndpoint endpoint = this.context.getBean(GracefulShutdownEndpoint.class);
		WorkTracker tracker = this.context.getBean(WorkTracker.class);
		try (WorkTracker.Work running = tracker.start("import"); WorkTracker.Work waiting = tracker.handOff(() -> "mail")) {
			List<Map<String, Object>> withDetails = (List<Map<String, Object>>) EndpointJson.map(endpoint.shutdown(AUTHENTICATED))
				.get("activeWork");
			List<Map<String, Object>> without = (List<Map<String, Object>>) EndpointJson.map(endpoint.shutdown(SecurityContext.NONE))
				.get("activeWork");
			assertThat(withDetails).filteredOn("name", "import")
				.singleElement()
				.satisfies((work) -> assertThat(work).containsEntry("thread", Thread.currentThread().getName())
					.doesNotContainKey("waitingForThread"));
			assertThat(withDetails).filteredOn("name", "mail")
				.singleElement()
				.satisfies((work) -> assertThat(work).containsEntry("waitingForThread", true).doesNotContainKey("thread"));
			assertThat(without).extracting((work) -> work.containsKey("thread")).containsExactly(false, false);
		}
	}

	private int start(String... properties) {
		this.context = new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.SERVLET)
			.properties("server.port=0", "spring.main.banner-mode=off",
					"management.endpoints.web.exposure.include=gracefulshutdown")
			.properties(properties)
			.registerShutdownHook(false)
			.run();
		return ((WebServerApplicationContext) this.context).getWebServer().getPort();
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> cleanups(Map<String, Object> endpointResult) {
		Map<String, Object> report = (Map<String, Object>) endpointResult.get("report");
		return (List<Map<String, Object>>) report.get("cleanups");
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		FailingCleanup failingCleanup() {
			return new FailingCleanup();
		}

	}

	static class FailingCleanup {

		@OnShutdown(name = "disk.sync")
		void sync() {
			throw new IllegalStateException("disk full");
		}

	}

}
