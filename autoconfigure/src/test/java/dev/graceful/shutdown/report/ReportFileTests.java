package dev.graceful.shutdown.report;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.actuate.GracefulShutdownEndpoint;
import dev.graceful.shutdown.actuate.GracefulShutdownEndpoint.ShutdownDescriptor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code graceful.shutdown.report.file}: the report of each shutdown written as JSON for
 * its owner only, and shown by the next run as {@code previousReport}.
 */
@Timeout(120)
class ReportFileTests {

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
	@EnabledOnOs({ OS.LINUX, OS.MAC })
	void reportIsWrittenOnCloseReadableByItsOwnerOnly() throws Exception {
		Path file = this.temp.resolve("reports").resolve("last-shutdown.json");
		start(file);

		this.context.close();

		assertThat(file).isRegularFile();
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
		try (Stream<Path> files = Files.list(file.getParent())) {
			assertThat(files).as("no temporary file left behind").containsExactly(file);
		}
		DocumentContext json = JsonPath.parse(Files.readString(file, StandardCharsets.UTF_8));
		assertThat(json.read("$.complete", Boolean.class)).isTrue();
		assertThat(json.read("$.budgetMs", Long.class)).isEqualTo(20000);
		assertThat(json.read("$.totalMs", Long.class)).isNotNegative();
		assertThat(json.<List<String>>read("$.phases[*].name")).containsExactly("readiness", "tasks", "cleanup");
		assertThat(json.<List<String>>read("$.phases[*].outcome")).containsExactly("COMPLETED", "COMPLETED",
				"FAILED");
		assertThat(json.<List<String>>read("$.cleanups[*].name")).containsExactly("queue.flush", "disk.sync");
		assertThat(json.<List<String>>read("$.cleanups[*].outcome")).containsExactly("COMPLETED", "FAILED");
		assertThat(json.<List<String>>read("$.cleanups[*].error"))
			.containsExactly("java.lang.IllegalStateException: disk full");
	}

	@Test
	@EnabledOnOs({ OS.LINUX, OS.MAC })
	void reportReplacesAWorldReadableFileWithAPrivateOne() throws Exception {
		Path file = this.temp.resolve("last-shutdown.json");
		Files.writeString(file, "{}");
		Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
		start(file);

		this.context.close();

		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
		assertThat(JsonPath.parse(file.toFile()).<List<String>>read("$.cleanups[*].name")).hasSize(2);
	}

	@Test
	void nextRunShowsTheReportAsPreviousReport() throws Exception {
		Path file = this.temp.resolve("last-shutdown.json");
		start(file);
		this.context.close();
		ShutdownReport written = ReportJson.read(Files.readString(file, StandardCharsets.UTF_8));

		start(file, "management.endpoint.gracefulshutdown.show-details=always");
		ShutdownDescriptor result = this.context.getBean(GracefulShutdownEndpoint.class)
			.shutdown(SecurityContext.NONE);

		assertThat(result.state()).isEqualTo(ShutdownProgress.State.RUNNING);
		assertThat(result.report()).isNull();
		assertThat(result.previousReport()).isEqualTo(written);
		assertThat(written.complete()).isTrue();
	}

	@Test
	void unreadablePreviousReportIsIgnored() throws Exception {
		Path file = this.temp.resolve("last-shutdown.json");
		Files.writeString(file, "{ not json");

		start(file);
		ShutdownDescriptor result = this.context.getBean(GracefulShutdownEndpoint.class)
			.shutdown(SecurityContext.NONE);
		this.context.close();

		assertThat(result.previousReport()).isNull();
		assertThat(JsonPath.parse(file.toFile()).read("$.complete", Boolean.class)).isTrue();
	}

	private void start(Path file, String... properties) {
		this.context = new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.NONE)
			.properties("spring.main.banner-mode=off", "graceful.shutdown.timeout=20s",
					"graceful.shutdown.report.file=" + file, "spring.jmx.enabled=true",
					"spring.jmx.unique-names=true", "management.endpoints.jmx.exposure.include=gracefulshutdown")
			.properties(properties)
			.registerShutdownHook(false)
			.run();
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

		@OnShutdown(order = -1, name = "queue.flush")
		void flushQueue() {
		}

		@OnShutdown(name = "disk.sync")
		void syncDisk() {
			throw new IllegalStateException("disk full");
		}

	}

}
