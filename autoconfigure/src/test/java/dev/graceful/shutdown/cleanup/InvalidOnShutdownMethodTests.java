package dev.graceful.shutdown.cleanup;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Scope;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.autoconfigure.GracefulShutdownAutoConfiguration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

/**
 * Tests for the startup failure of {@link OnShutdown @OnShutdown} methods that cannot
 * run as cleanups, and for {@link InvalidOnShutdownMethodFailureAnalyzer}.
 */
@ExtendWith(OutputCaptureExtension.class)
class InvalidOnShutdownMethodTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(GracefulShutdownAutoConfiguration.class));

	@Test
	void staticMethodFailsTheStartupNamingTheMethod() {
		this.contextRunner.withBean(StaticCleanup.class).run((context) -> {
			InvalidOnShutdownMethodException failure = invalidMethod(context);
			assertThat(failure.getMethod()).isEqualTo(StaticCleanup.class.getName() + ".cleanUp()");
			assertThat(failure.getMessage())
				.contains("@OnShutdown method " + StaticCleanup.class.getName() + ".cleanUp() is static");
			assertThat(failure.getFix()).contains("instance method");
		});
	}

	@Test
	void methodWithParametersFailsTheStartupNamingTheMethod() {
		this.contextRunner.withBean(CleanupWithParameters.class).run((context) -> {
			InvalidOnShutdownMethodException failure = invalidMethod(context);
			assertThat(failure.getMethod()).isEqualTo(CleanupWithParameters.class.getName() + ".cleanUp()");
			assertThat(failure.getMessage()).contains(
					"@OnShutdown method " + CleanupWithParameters.class.getName() + ".cleanUp() has 2 parameter(s)");
			assertThat(failure.getFix()).contains("Remove the parameters");
		});
	}

	@Test
	void methodOfAPrototypeBeanFailsTheStartupNamingTheMethodAndTheBean() {
		this.contextRunner.withUserConfiguration(PrototypeConfiguration.class).run((context) -> {
			InvalidOnShutdownMethodException failure = invalidMethod(context);
			assertThat(failure.getMethod()).isEqualTo(PrototypeCleanup.class.getName() + ".cleanUp()");
			assertThat(failure.getMessage()).contains("@OnShutdown method " + PrototypeCleanup.class.getName()
					+ ".cleanUp() is declared on bean 'prototypeCleanup', which is not a singleton");
			assertThat(failure.getFix()).contains("Move the method to a singleton bean");
		});
	}

	@Test
	void methodOfAPrototypeBeanFailsTheStartupEvenWhenNoInstanceIsCreatedAtStartup() {
		this.contextRunner
			.withBean("lonelyPrototype", PrototypeCleanup.class, PrototypeCleanup::new,
					(definition) -> definition.setScope(ConfigurableBeanFactory.SCOPE_PROTOTYPE))
			.run((context) -> assertThat(invalidMethod(context).getMethod())
				.isEqualTo(PrototypeCleanup.class.getName() + ".cleanUp()"));
	}

	@Test
	void unparseableTimeoutFailsTheStartupNamingTheMethodAndTheValue() {
		this.contextRunner.withBean(UnparseableTimeout.class).run((context) -> {
			InvalidOnShutdownMethodException failure = invalidMethod(context);
			assertThat(failure.getMessage()).contains("@OnShutdown method " + UnparseableTimeout.class.getName()
					+ ".cleanUp() has an invalid timeout 'soon'");
			assertThat(failure.getFix()).contains("timeout = \"500ms\"");
		});
	}

	@Test
	void zeroTimeoutFailsTheStartupNamingTheMethodAndTheValue() {
		this.contextRunner.withBean(ZeroTimeout.class).run((context) -> assertThat(invalidMethod(context).getMessage())
			.contains("@OnShutdown method " + ZeroTimeout.class.getName() + ".cleanUp() has an invalid timeout '0s'"));
	}

	@Test
	void validMethodStartsTheContext() {
		this.contextRunner.withBean(ValidCleanup.class)
			.run((context) -> assertThat(context).hasNotFailed().hasSingleBean(ValidCleanup.class));
	}

	@Test
	void failureAnalysisDescribesTheMethodAndTheFix() {
		this.contextRunner.withBean(StaticCleanup.class).run((context) -> {
			FailureAnalysis analysis = new InvalidOnShutdownMethodFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription())
				.contains("@OnShutdown method " + StaticCleanup.class.getName() + ".cleanUp() is static");
			assertThat(analysis.getAction())
				.isEqualTo("Make the method an instance method of the bean: cleanups belong to a bean instance.");
			assertThat(analysis.getCause()).isInstanceOf(InvalidOnShutdownMethodException.class);
		});
	}

	@Test
	void failureAnalyzerIsRegisteredAndReportsAtStartup(CapturedOutput output) {
		assertThatException().isThrownBy(() -> new SpringApplicationBuilder(StaticCleanupApplication.class)
			.web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			.run());
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("@OnShutdown method " + StaticCleanup.class.getName() + ".cleanUp() is static")
			.contains("Make the method an instance method of the bean");
	}

	private static InvalidOnShutdownMethodException invalidMethod(AssertableApplicationContext context) {
		assertThat(context).hasFailed();
		Throwable failure = context.getStartupFailure();
		@Nullable Throwable candidate = failure;
		while (candidate != null) {
			if (candidate instanceof InvalidOnShutdownMethodException invalid) {
				return invalid;
			}
			candidate = candidate.getCause();
		}
		throw new AssertionError("No InvalidOnShutdownMethodException in the startup failure", failure);
	}

	static class StaticCleanup {

		@OnShutdown
		static void cleanUp() {
		}

	}

	static class CleanupWithParameters {

		@OnShutdown
		void cleanUp(String reason, int attempt) {
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class PrototypeConfiguration {

		@Bean
		@Scope(ConfigurableBeanFactory.SCOPE_PROTOTYPE)
		PrototypeCleanup prototypeCleanup() {
			return new PrototypeCleanup();
		}

		@Bean
		PrototypeUser prototypeUser(PrototypeCleanup prototypeCleanup) {
			return new PrototypeUser();
		}

	}

	static class PrototypeCleanup {

		@OnShutdown
		void cleanUp() {
		}

	}

	static class PrototypeUser {

	}

	static class UnparseableTimeout {

		@OnShutdown(timeout = "soon")
		void cleanUp() {
		}

	}

	static class ZeroTimeout {

		@OnShutdown(timeout = "0s")
		void cleanUp() {
		}

	}

	static class ValidCleanup {

		@OnShutdown(timeout = "500ms")
		void cleanUp() {
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class StaticCleanupApplication {

		@Bean
		StaticCleanup staticCleanup() {
			return new StaticCleanup();
		}

	}

}
