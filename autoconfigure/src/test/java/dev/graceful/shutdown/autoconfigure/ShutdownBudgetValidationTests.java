package dev.graceful.shutdown.autoconfigure;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.NestedExceptionUtils;

import dev.graceful.shutdown.timeline.ShutdownPlan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * The overall budget and the watchdog settings are checked at startup: a combination that
 * cannot work fails with a failure analysis that names the property and the fix.
 */
@ExtendWith(OutputCaptureExtension.class)
class ShutdownBudgetValidationTests {

	private final ApplicationContextRunner runner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class));

	@Test
	void budgetShorterThanDelayTasksAndCleanupFailsNamingEveryPropertyAndTheFix() {
		FailureAnalysis analysis = analyze("graceful.shutdown.timeout=10s", "graceful.shutdown.delay=5s",
				"graceful.shutdown.tasks.timeout=4s", "graceful.shutdown.cleanup.timeout=2s");

		assertThat(analysis.getDescription()).startsWith("Invalid value for 'graceful.shutdown.timeout': ")
			.contains("graceful.shutdown.delay (5s)", "graceful.shutdown.tasks.timeout (4s)",
					"graceful.shutdown.cleanup.timeout (2s)", "= 11s",
					"is not less than graceful.shutdown.timeout (10s)", "leaves no time for the HTTP drain");
		assertThat(analysis.getAction()).isEqualTo("Raise graceful.shutdown.timeout above 11s (and the platform's "
				+ "grace period, e.g. terminationGracePeriodSeconds, with it), or lower the step timeouts.");
	}

	@Test
	void budgetEqualToDelayTasksAndCleanupFailsBecauseItLeavesNothingForTheDrain() {
		FailureAnalysis analysis = analyze("graceful.shutdown.timeout=11s", "graceful.shutdown.delay=5s",
				"graceful.shutdown.tasks.timeout=4s", "graceful.shutdown.cleanup.timeout=2s");

		assertThat(analysis.getDescription()).contains("= 11s is not less than graceful.shutdown.timeout (11s)");
	}

	@Test
	void budgetLongerThanDelayTasksAndCleanupStarts() {
		this.runner
			.withPropertyValues("graceful.shutdown.timeout=12s", "graceful.shutdown.delay=5s",
					"graceful.shutdown.tasks.timeout=4s", "graceful.shutdown.cleanup.timeout=2s")
			.run((context) -> assertThat(context).hasNotFailed()
				.getBean(ShutdownPlan.class)
				.satisfies((plan) -> assertThat(plan.maxDrain()).hasSeconds(1)));
	}

	@Test
	void defaultTimeoutsFitTheDefaultBudgetEvenWithTheKubernetesDelay() {
		this.runner.withPropertyValues("spring.main.cloud-platform=kubernetes")
			.run((context) -> assertThat(context).hasNotFailed()
				.getBean(ShutdownPlan.class)
				.satisfies((plan) -> assertThat(plan.requiredGracePeriodSeconds()).isEqualTo(32)));
	}

	@ParameterizedTest
	@ValueSource(strings = { "0s", "-5s" })
	void budgetThatIsNotPositiveFails(String timeout) {
		FailureAnalysis analysis = analyze("graceful.shutdown.timeout=" + timeout);

		assertThat(analysis.getDescription()).startsWith("Invalid value for 'graceful.shutdown.timeout': '")
			.endsWith("' is not positive");
		assertThat(analysis.getAction()).isEqualTo("Set graceful.shutdown.timeout to a positive duration such as 30s.");
	}

	@Test
	void negativeWatchdogMarginFails() {
		FailureAnalysis analysis = analyze("graceful.shutdown.watchdog.margin=-1s");

		assertThat(analysis.getDescription())
			.isEqualTo("Invalid value for 'graceful.shutdown.watchdog.margin': '-1s' is negative");
		assertThat(analysis.getAction())
			.isEqualTo("Set graceful.shutdown.watchdog.margin to zero or a positive duration such as 2s.");
	}

	@Test
	void zeroWatchdogMarginStarts() {
		this.runner.withPropertyValues("graceful.shutdown.watchdog.margin=0s")
			.run((context) -> assertThat(context).hasNotFailed()
				.getBean(ShutdownPlan.class)
				.satisfies((plan) -> assertThat(plan.requiredGracePeriodSeconds()).isEqualTo(30)));
	}

	@ParameterizedTest
	@ValueSource(ints = { 0, 256, -1 })
	void watchdogExitCodeOutsideOneTo255Fails(int exitCode) {
		FailureAnalysis analysis = analyze("graceful.shutdown.watchdog.exit-code=" + exitCode);

		assertThat(analysis.getDescription()).isEqualTo("Invalid value for 'graceful.shutdown.watchdog.exit-code': '"
				+ exitCode + "' is not an exit code between 1 and 255");
		assertThat(analysis.getAction())
			.isEqualTo("Set graceful.shutdown.watchdog.exit-code between 1 and 255 (default 124).");
	}

	@ParameterizedTest
	@ValueSource(ints = { 1, 255 })
	void watchdogExitCodeAtTheEndsOfTheRangeStarts(int exitCode) {
		this.runner.withPropertyValues("graceful.shutdown.watchdog.exit-code=" + exitCode)
			.run((context) -> assertThat(context).hasNotFailed()
				.getBean(GracefulShutdownProperties.class)
				.satisfies((properties) -> assertThat(properties.getWatchdog().getExitCode()).isEqualTo(exitCode)));
	}

	@Test
	void startupFailureReportShowsTheDescriptionAndTheAction(CapturedOutput output) {
		assertThatException().isThrownBy(() -> new SpringApplicationBuilder(TestApplication.class)
			.web(WebApplicationType.NONE)
			.properties("spring.main.banner-mode=off", "graceful.shutdown.timeout=3s")
			.registerShutdownHook(false)
			.run())
			.satisfies((ex) -> assertThat(NestedExceptionUtils.getMostSpecificCause(ex))
				.isInstanceOf(InvalidShutdownPropertyException.class));

		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("Invalid value for 'graceful.shutdown.timeout': graceful.shutdown.delay (0s) + "
					+ "graceful.shutdown.tasks.timeout (10s) + graceful.shutdown.cleanup.timeout (5s) = 15s "
					+ "is not less than graceful.shutdown.timeout (3s)")
			.contains("Raise graceful.shutdown.timeout above 15s");
	}

	private FailureAnalysis analyze(String... properties) {
		FailureAnalysis[] analysis = new FailureAnalysis[1];
		this.runner.withPropertyValues(properties).run((context) -> {
			assertThat(context).hasFailed();
			analysis[0] = new InvalidShutdownPropertyFailureAnalyzer().analyze(context.getStartupFailure());
		});
		assertThat(analysis[0]).as("analysis of an InvalidShutdownPropertyException").isNotNull();
		return analysis[0];
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

	}

}
