package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.client.serviceregistry.ServiceRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;

import dev.graceful.shutdown.discovery.DiscoveryDeregistration;
import dev.graceful.shutdown.discovery.DiscoveryPropagation;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link GracefulShutdownDiscoveryAutoConfiguration}.
 */
class GracefulShutdownDiscoveryAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("spring.main.cloud-platform=none")
		.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class,
				GracefulShutdownDiscoveryAutoConfiguration.class));

	@Test
	void leavesDiscoveryByDefaultWhenSpringCloudIsPresent() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.hasSingleBean(DiscoveryDeregistration.class)
			.hasSingleBean(DiscoveryPropagation.class));
	}

	@Test
	void staysInDiscoveryUntilSpringCloudDeregistersWhenTurnedOff() {
		this.contextRunner.withPropertyValues("graceful.shutdown.discovery.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(DiscoveryDeregistration.class)
				.doesNotHaveBean(DiscoveryPropagation.class));
	}

	@Test
	void doesNothingWhenTheStarterIsDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(DiscoveryDeregistration.class));
	}

	@Test
	void backsOffToUserDeregistration() {
		this.contextRunner.withUserConfiguration(UserDeregistrationConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(DiscoveryDeregistration.class)
				.getBean(DiscoveryDeregistration.class)
				.isSameAs(context.getBean(UserDeregistrationConfiguration.class).deregistration));
	}

	@Test
	void withoutSpringCloudNothingChanges() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(ServiceRegistry.class))
			.withPropertyValues("graceful.shutdown.delay=1s")
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(DiscoveryDeregistration.class)
					.doesNotHaveBean(DiscoveryPropagation.class);
				ShutdownPlanLogger planLogger = context.getBean(ShutdownPlanLogger.class);
				assertThat(planLogger.describe()).startsWith("Graceful shutdown plan: delay 1000 ms,");
				assertThat(planLogger.discoveryWarning()).isNull();
			});
	}

	@Test
	void planLoggerFindsTheDiscoveryAutoConfigurationByItsBeanName() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasBean(ShutdownPlanLogger.DISCOVERY_AUTO_CONFIGURATION);
			assertThat(ShutdownPlanLogger.DISCOVERY_AUTO_CONFIGURATION)
				.isEqualTo(GracefulShutdownDiscoveryAutoConfiguration.class.getName());
		});
	}

	@Test
	void rejectsADiscoveryTimeoutThatIsNotPositive() {
		this.contextRunner.withPropertyValues("graceful.shutdown.discovery.timeout=0s")
			.run((context) -> assertThat(
					NestedExceptionUtils.getMostSpecificCause(assertThat(context).hasFailed().getFailure().actual()))
				.hasMessageContaining("graceful.shutdown.discovery.timeout"));
	}

	@Configuration(proxyBeanMethods = false)
	static class UserDeregistrationConfiguration {

		DiscoveryDeregistration deregistration;

		@Bean
		DiscoveryDeregistration userDeregistration(ShutdownRecorder progress,
				org.springframework.beans.factory.ListableBeanFactory beanFactory) {
			this.deregistration = new DiscoveryDeregistration(progress, beanFactory, Duration.ofSeconds(1));
			return this.deregistration;
		}

	}

}
