package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.graceful.shutdown.actuate.GracefulShutdownEndpoint;
import dev.graceful.shutdown.actuate.GracefulShutdownHealthIndicator;
import dev.graceful.shutdown.metrics.DeferredMeterRegistryClosing;
import dev.graceful.shutdown.metrics.GracefulShutdownMetrics;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link GracefulShutdownEndpointAutoConfiguration}, and for the health
 * contributor and the meters that {@link HealthAndMetricsRegistrar} registers.
 */
class GracefulShutdownActuatorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("spring.main.cloud-platform=none", "management.endpoints.web.exposure.include=gracefulshutdown")
		.withUserConfiguration(MeterRegistryConfiguration.class)
		.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class,
				GracefulShutdownEndpointAutoConfiguration.class));

	@Test
	void providesEndpointHealthAndMetricsByDefault() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.hasSingleBean(GracefulShutdownEndpoint.class)
			.hasSingleBean(GracefulShutdownHealthIndicator.class)
			.hasSingleBean(GracefulShutdownMetrics.class)
			.hasSingleBean(DeferredMeterRegistryClosing.class));
	}

	@Test
	void providesNoneWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(GracefulShutdownEndpoint.class)
				.doesNotHaveBean(GracefulShutdownHealthIndicator.class)
				.doesNotHaveBean(GracefulShutdownMetrics.class)
				.doesNotHaveBean(DeferredMeterRegistryClosing.class));
	}

	@Test
	void endpointIsAbsentWhenNotExposed() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=health")
			.run((context) -> assertThat(context).doesNotHaveBean(GracefulShutdownEndpoint.class));
	}

	@Test
	void healthContributorCanBeTurnedOff() {
		this.contextRunner.withPropertyValues("management.health.gracefulshutdown.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(GracefulShutdownHealthIndicator.class)
				.hasSingleBean(GracefulShutdownEndpoint.class));
	}

	@Test
	void healthContributorFollowsTheDefaultOfHealthIndicators() {
		this.contextRunner.withPropertyValues("management.health.defaults.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(GracefulShutdownHealthIndicator.class));
		this.contextRunner
			.withPropertyValues("management.health.defaults.enabled=false",
					"management.health.gracefulshutdown.enabled=true")
			.run((context) -> assertThat(context).hasSingleBean(GracefulShutdownHealthIndicator.class));
	}

	@Test
	void healthContributorAndRegistryClosingAreSingletonsWithoutDefinitionsAndTheMetersADefinition() {
		this.contextRunner.run((context) -> {
			RegisteredParts.assertSingletonsWithoutDefinitions(context.getBeanFactory(),
					"gracefulShutdownHealthIndicator", "gracefulShutdownDeferredMeterRegistryClosing");
			assertThat(context.getBeanFactory().containsBeanDefinition("gracefulShutdownMetrics")).isTrue();
		});
	}

	@Test
	void registryClosingIsNotDeferredWhenTurnedOff() {
		this.contextRunner.withPropertyValues("graceful.shutdown.metrics.defer-registry-close=false")
			.run((context) -> assertThat(context).doesNotHaveBean(DeferredMeterRegistryClosing.class)
				.hasSingleBean(GracefulShutdownMetrics.class));
	}

	@Test
	void metricsBackOffWithoutAMeterRegistry() {
		new ApplicationContextRunner().withPropertyValues("spring.main.cloud-platform=none")
			.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(GracefulShutdownMetrics.class)
				.doesNotHaveBean(DeferredMeterRegistryClosing.class));
	}

	@Test
	void backsOffToUserBeans() {
		this.contextRunner.withUserConfiguration(UserBeansConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(GracefulShutdownMetrics.class)
				.hasSingleBean(GracefulShutdownHealthIndicator.class);
			assertThat(context.getBean(GracefulShutdownMetrics.class))
				.isSameAs(context.getBean("userMetrics"));
		});
	}

	@Test
	void worksWithoutActuatorOrMicrometerOnTheClasspath() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(Endpoint.class, HealthIndicator.class,
				MeterRegistry.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(GracefulShutdownEndpoint.class)
				.doesNotHaveBean(GracefulShutdownHealthIndicator.class)
				.doesNotHaveBean(GracefulShutdownMetrics.class));
	}

	@Configuration(proxyBeanMethods = false)
	static class MeterRegistryConfiguration {

		@Bean
		SimpleMeterRegistry simpleMeterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserBeansConfiguration {

		@Bean
		GracefulShutdownMetrics userMetrics(MeterRegistry registry) {
			return new GracefulShutdownMetrics(registry, null, null, null);
		}

		@Bean
		GracefulShutdownHealthIndicator gracefulShutdownHealthIndicator() {
			return new GracefulShutdownHealthIndicator(new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30))));
		}

	}

}
