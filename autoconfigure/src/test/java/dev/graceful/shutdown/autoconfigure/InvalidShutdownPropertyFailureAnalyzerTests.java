package dev.graceful.shutdown.autoconfigure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Tests for {@link InvalidShutdownPropertyFailureAnalyzer}, run on the failures that
 * invalid properties really cause at startup.
 */
@ExtendWith(OutputCaptureExtension.class)
class InvalidShutdownPropertyFailureAnalyzerTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class))
		.withPropertyValues("spring.main.cloud-platform=none");

	@Test
	void negativeDelayFailsStartupNamingPropertyAndFix() {
		FailureAnalysis analysis = analyzeStartupFailure("graceful.shutdown.delay=-1s");
		assertThat(analysis.getDescription()).startsWith("Invalid value for 'graceful.shutdown.delay'")
			.endsWith("is negative");
		assertThat(analysis.getAction()).startsWith("Set graceful.shutdown.delay to zero")
			.contains("positive duration");
	}

	@Test
	void zeroQuietPeriodFailsStartupNamingPropertyAndFix() {
		FailureAnalysis analysis = analyzeStartupFailure("graceful.shutdown.delay=5s",
				"graceful.shutdown.quiet-period=0s");
		assertThat(analysis.getDescription()).contains("'graceful.shutdown.quiet-period'").contains("not positive");
		assertThat(analysis.getAction()).startsWith("Set graceful.shutdown.quiet-period to a positive duration");
	}

	@Test
	void negativeQuietPeriodFailsStartupNamingPropertyAndFix() {
		FailureAnalysis analysis = analyzeStartupFailure("graceful.shutdown.delay=5s",
				"graceful.shutdown.quiet-period=-2s");
		assertThat(analysis.getDescription()).contains("'graceful.shutdown.quiet-period'").contains("not positive");
		assertThat(analysis.getAction()).startsWith("Set graceful.shutdown.quiet-period to a positive duration");
	}

	@Test
	void quietPeriodLongerThanDelayFailsStartupNamingPropertyAndFix() {
		FailureAnalysis analysis = analyzeStartupFailure("graceful.shutdown.delay=1s",
				"graceful.shutdown.quiet-period=2s");
		assertThat(analysis.getDescription()).contains("'graceful.shutdown.quiet-period'")
			.contains("longer than graceful.shutdown.delay");
		assertThat(analysis.getAction())
			.isEqualTo("Set graceful.shutdown.quiet-period shorter than graceful.shutdown.delay, "
					+ "or raise graceful.shutdown.delay.");
	}

	@Test
	void validPropertiesStartNormally() {
		this.contextRunner.withPropertyValues("graceful.shutdown.delay=5s", "graceful.shutdown.quiet-period=1s")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Test
	void analyzerIgnoresOtherFailures() {
		assertThat(new InvalidShutdownPropertyFailureAnalyzer().analyze(new IllegalStateException("other"))).isNull();
	}

	@Test
	void analyzerIsRegisteredSoStartupFailureReportNamesPropertyAndFix(CapturedOutput output) {
		SpringApplication application = new SpringApplication(InvalidPropertyApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setRegisterShutdownHook(false);
		assertThatException().isThrownBy(() -> application.run("--graceful.shutdown.delay=-3s",
				"--spring.main.cloud-platform=none", "--spring.main.banner-mode=off"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Invalid value for 'graceful.shutdown.delay'")
			.contains("Set graceful.shutdown.delay to zero (no delay) or to a positive duration such as 10s.");
	}

	private FailureAnalysis analyzeStartupFailure(String... properties) {
		FailureAnalysis[] analysis = new FailureAnalysis[1];
		this.contextRunner.withPropertyValues(properties).run((context) -> {
			assertThat(context).hasFailed();
			Throwable failure = context.getStartupFailure();
			assertThat(NestedExceptionUtils.getMostSpecificCause(failure))
				.isInstanceOf(InvalidShutdownPropertyException.class);
			analysis[0] = new InvalidShutdownPropertyFailureAnalyzer().analyze(failure);
		});
		assertThat(analysis[0]).isNotNull();
		assertThat(analysis[0].getCause()).isInstanceOf(InvalidShutdownPropertyException.class);
		return analysis[0];
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(GracefulShutdownAutoConfiguration.class)
	static class InvalidPropertyApplication {

	}

}
