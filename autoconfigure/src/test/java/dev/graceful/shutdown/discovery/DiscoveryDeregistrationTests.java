package dev.graceful.shutdown.discovery;

import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cloud.client.serviceregistry.AbstractAutoServiceRegistration;
import org.springframework.cloud.client.serviceregistry.AutoServiceRegistrationProperties;
import org.springframework.cloud.client.serviceregistry.Registration;
import org.springframework.cloud.client.serviceregistry.ServiceRegistry;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.autoconfigure.GracefulShutdownAutoConfiguration;
import dev.graceful.shutdown.autoconfigure.GracefulShutdownDiscoveryAutoConfiguration;
import dev.graceful.shutdown.metrics.GracefulShutdownMetrics;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link DiscoveryDeregistration} with an in-memory {@link ServiceRegistry}: the
 * registrations leave it as the shutdown starts, and a registry that hangs or throws is
 * reported and holds the shutdown no longer than the step's timeout.
 */
@Timeout(60)
class DiscoveryDeregistrationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withPropertyValues("spring.main.cloud-platform=none", "graceful.shutdown.watchdog.enabled=false")
		.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class,
				GracefulShutdownDiscoveryAutoConfiguration.class));

	@Test
	void registrationsLeaveTheRegistryAsTheShutdownStarts() {
		this.contextRunner.withUserConfiguration(RegisteredConfiguration.class).run((context) -> {
			InMemoryRegistry registry = context.getBean(InMemoryRegistry.class);
			assertThat(registry.registered).containsExactlyInAnyOrder("orders-1", "orders-admin-1");
			ShutdownProgress progress = context.getBean(ShutdownProgress.class);

			context.close();

			assertThat(registry.registered).isEmpty();
			Phase discovery = report(progress).phase(DiscoveryDeregistration.STEP);
			assertThat(discovery.outcome()).isEqualTo(Outcome.COMPLETED);
			assertThat(discovery.detail()).isEqualTo("left discovery: orders, ordersAdmin");
			assertThat(report(progress).phases()).extracting(Phase::name)
				.startsWith("readiness", DiscoveryDeregistration.STEP);
		});
	}

	@Test
	void autoRegistrationsAreStoppedAndThoseThatNeverStartedAreLeftOut() {
		this.contextRunner.withUserConfiguration(AutoRegisteredConfiguration.class).run((context) -> {
			InMemoryRegistry registry = context.getBean(InMemoryRegistry.class);
			context.getBean("started", InMemoryAutoRegistration.class).start();
			assertThat(registry.registered).containsExactly("orders-1");
			ShutdownProgress progress = context.getBean(ShutdownProgress.class);

			context.close();

			assertThat(registry.registered).isEmpty();
			Phase discovery = report(progress).phase(DiscoveryDeregistration.STEP);
			assertThat(discovery.outcome()).isEqualTo(Outcome.COMPLETED);
			assertThat(discovery.detail()).isEqualTo("left discovery: started");
		});
	}

	@Test
	void discoveryStepIsTimedInTheMeters() {
		this.contextRunner.withUserConfiguration(RegisteredConfiguration.class, MeterRegistryConfiguration.class)
			.run((context) -> {
				SimpleMeterRegistry meters = context.getBean(SimpleMeterRegistry.class);

				context.close();

				Timer timer = meters.find(GracefulShutdownMetrics.STEP)
					.tags("step", DiscoveryDeregistration.STEP, "outcome", "COMPLETED")
					.timer();
				assertThat(timer).isNotNull();
				assertThat(timer.count()).isOne();
			});
	}

	@Test
	void registryThatDoesNotAnswerIsReportedAndLeftAfterTheTimeout() {
		this.contextRunner.withUserConfiguration(RegisteredConfiguration.class)
			.withPropertyValues("graceful.shutdown.discovery.timeout=300ms")
			.run((context) -> {
				InMemoryRegistry registry = context.getBean(InMemoryRegistry.class);
				registry.hang = new CountDownLatch(1);
				ShutdownProgress progress = context.getBean(ShutdownProgress.class);

				context.close();

				registry.hang.countDown();
				Phase discovery = report(progress).phase(DiscoveryDeregistration.STEP);
				assertThat(discovery.outcome()).isEqualTo(Outcome.TIMED_OUT);
				assertThat(discovery.detail())
					.isEqualTo("left discovery: none; no answer within 300 ms: orders, ordersAdmin");
			});
	}

	@Test
	void registryThatFailsIsReportedAndTheShutdownGoesOn() {
		this.contextRunner.withUserConfiguration(RegisteredConfiguration.class).run((context) -> {
			InMemoryRegistry registry = context.getBean(InMemoryRegistry.class);
			registry.failFor = "orders-admin-1";
			ShutdownProgress progress = context.getBean(ShutdownProgress.class);

			context.close();

			assertThat(registry.registered).containsExactly("orders-admin-1");
			Phase discovery = report(progress).phase(DiscoveryDeregistration.STEP);
			assertThat(discovery.outcome()).isEqualTo(Outcome.FAILED);
			assertThat(discovery.detail()).isEqualTo(
					"left discovery: orders; failed: ordersAdmin (IllegalStateException: registry unreachable)");
			assertThat(report(progress).complete()).isTrue();
		});
	}

	@Test
	void applicationRegisteredNowhereRecordsNoDiscoveryStep() {
		this.contextRunner.run((context) -> {
			ShutdownProgress progress = context.getBean(ShutdownProgress.class);

			context.close();

			assertThat(report(progress).phases()).extracting(Phase::name).doesNotContain(DiscoveryDeregistration.STEP);
		});
	}

	private static ShutdownReport report(ShutdownProgress progress) {
		ShutdownReport report = progress.report();
		assertThat(report).isNotNull();
		return report;
	}

	@Configuration(proxyBeanMethods = false)
	static class RegisteredConfiguration {

		@Bean
		InMemoryRegistry registry() {
			return new InMemoryRegistry();
		}

		@Bean
		Instance orders(InMemoryRegistry registry) {
			Instance instance = new Instance("orders-1");
			registry.register(instance);
			return instance;
		}

		@Bean
		Instance ordersAdmin(InMemoryRegistry registry) {
			Instance instance = new Instance("orders-admin-1");
			registry.register(instance);
			return instance;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class AutoRegisteredConfiguration {

		@Bean
		InMemoryRegistry registry() {
			return new InMemoryRegistry();
		}

		@Bean
		InMemoryAutoRegistration started(ApplicationContext context, InMemoryRegistry registry) {
			return new InMemoryAutoRegistration(context, registry, new Instance("orders-1"));
		}

		@Bean
		InMemoryAutoRegistration neverStarted(ApplicationContext context, InMemoryRegistry registry) {
			return new InMemoryAutoRegistration(context, registry, new Instance("orders-2"));
		}

	}

	/**
	 * An auto registration in the registry kept in memory, started by the test.
	 */
	static final class InMemoryAutoRegistration extends AbstractAutoServiceRegistration<Instance> {

		private final Instance registration;

		InMemoryAutoRegistration(ApplicationContext context, InMemoryRegistry registry, Instance registration) {
			super(context, registry, new AutoServiceRegistrationProperties());
			this.registration = registration;
		}

		@Override
		protected Object getConfiguration() {
			return this.registration;
		}

		@Override
		protected boolean isEnabled() {
			return true;
		}

		@Override
		protected boolean shouldRegisterManagement() {
			return false;
		}

		@Override
		protected Instance getRegistration() {
			return this.registration;
		}

		@Override
		protected Instance getManagementRegistration() {
			return this.registration;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class MeterRegistryConfiguration {

		@Bean
		SimpleMeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

	/**
	 * A registry kept in memory, which can be made to hang or fail.
	 */
	static final class InMemoryRegistry implements ServiceRegistry<Instance> {

		final Set<String> registered = ConcurrentHashMap.newKeySet();

		volatile @Nullable CountDownLatch hang;

		volatile @Nullable String failFor;

		@Override
		public void register(Instance registration) {
			this.registered.add(registration.getInstanceId());
		}

		@Override
		public void deregister(Instance registration) {
			CountDownLatch hang = this.hang;
			if (hang != null) {
				try {
					hang.await(30, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			if (registration.getInstanceId().equals(this.failFor)) {
				throw new IllegalStateException("registry unreachable");
			}
			this.registered.remove(registration.getInstanceId());
		}

		@Override
		public void close() {
		}

		@Override
		public void setStatus(Instance registration, String status) {
		}

		@Override
		public <T> T getStatus(Instance registration) {
			throw new UnsupportedOperationException();
		}

	}

	record Instance(String id) implements Registration {

		@Override
		public String getInstanceId() {
			return this.id;
		}

		@Override
		public String getServiceId() {
			return "orders";
		}

		@Override
		public String getHost() {
			return "127.0.0.1";
		}

		@Override
		public int getPort() {
			return 8080;
		}

		@Override
		public boolean isSecure() {
			return false;
		}

		@Override
		public URI getUri() {
			return URI.create("http://127.0.0.1:8080");
		}

		@Override
		public Map<String, String> getMetadata() {
			return Map.of();
		}

	}

}
