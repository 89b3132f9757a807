package dev.graceful.shutdown;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.autoconfigure.GracefulShutdownAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.tuple;

/**
 * {@link ShutdownReports#close}, used the way an application's own test would: close the
 * context and assert on the cleanups it declares.
 */
@Timeout(60)
class ShutdownReportsTests {

	@Test
	void closeReturnsTheApplicationsOwnCleanupsInOrderWithTheirOutcomes() {
		ConfigurableApplicationContext context = new SpringApplicationBuilder(UserApplication.class)
			.web(WebApplicationType.NONE)
			.properties("spring.main.banner-mode=off")
			.registerShutdownHook(false)
			.run();

		ShutdownReport report = ShutdownReports.close(context);

		assertThat(context.isActive()).isFalse();
		assertThat(report.complete()).isTrue();
		assertThat(report.cleanups()).extracting(Cleanup::name, Cleanup::order, Cleanup::outcome)
			.containsExactly(tuple("http.client.close", -10, Outcome.COMPLETED),
					// Equal orders run in reverse order of registration, like defer.
					tuple("second.registered", 0, Outcome.COMPLETED), tuple("first.registered", 0, Outcome.COMPLETED),
					tuple("outbox.flush", 5, Outcome.FAILED), tuple("cache.persist", 10, Outcome.TIMED_OUT),
					tuple("audit.close", 20, Outcome.COMPLETED));
		assertThat(report.cleanups()).filteredOn((cleanup) -> cleanup.outcome() == Outcome.FAILED)
			.singleElement()
			.extracting(Cleanup::error)
			.isEqualTo("java.io.UncheckedIOException: java.io.IOException: broker unreachable");
		assertThat(report.phase("cleanup").outcome()).as("a timeout weighs more than a failure")
			.isEqualTo(Outcome.TIMED_OUT);
		assertThat(report.phase("cleanup").detail()).isEqualTo("4 completed, 1 failed, 1 timed out");
	}

	@Test
	void closeWorksOnAContextFromAnApplicationContextRunner() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class))
			.withUserConfiguration(UserCleanupsConfiguration.class)
			.run((context) -> assertThat(ShutdownReports.close(context).cleanups()).extracting(Cleanup::name)
				.startsWith("http.client.close", "second.registered", "first.registered"));
	}

	@Test
	void closeExplainsWhatIsMissingWhenTheStarterIsDisabled() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class))
			.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> {
				assertThatIllegalStateException().isThrownBy(() -> ShutdownReports.close(context))
					.withMessageContaining("No ShutdownProgress bean")
					.withMessageContaining("graceful.shutdown.enabled");
				assertThat(context.isActive()).as("left open").isTrue();
			});
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@Import(UserCleanupsConfiguration.class)
	static class UserApplication {

	}

	@Configuration(proxyBeanMethods = false)
	static class UserCleanupsConfiguration {

		@Bean
		UserCleanups userCleanups(ShutdownCleanups cleanups) {
			cleanups.register("first.registered", () -> {
			});
			cleanups.register("second.registered", () -> {
			});
			return new UserCleanups();
		}

	}

	static class UserCleanups {

		@OnShutdown(order = 20, name = "audit.close")
		void closeAudit() {
		}

		@OnShutdown(order = 10, name = "cache.persist", timeout = "200ms")
		void persistCache() throws InterruptedException {
			Thread.sleep(10_000);
		}

		@OnShutdown(order = 5, name = "outbox.flush")
		void flushOutbox() {
			throw new UncheckedIOException(new IOException("broker unreachable"));
		}

		@OnShutdown(order = -10, name = "http.client.close")
		void closeHttpClient() {
		}

	}

}
