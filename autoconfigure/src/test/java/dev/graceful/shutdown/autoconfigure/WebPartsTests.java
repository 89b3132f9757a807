package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.delay.LameDuckDelay;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.DrainMonitor;
import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.WebServerDrain;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the web parts that {@link GracefulShutdownAutoConfiguration} registers in
 * a servlet or reactive application (see {@link WebPartsRegistrar}).
 */
class WebPartsTests {

	private static final AutoConfigurations AUTO_CONFIGURATIONS = AutoConfigurations.of(
			ApplicationAvailabilityAutoConfiguration.class, GracefulShutdownAutoConfiguration.class);

	// Off Kubernetes whatever the build machine is, so that the default delay is zero.
	private final WebApplicationContextRunner contextRunner = new WebApplicationContextRunner()
		.withConfiguration(AUTO_CONFIGURATIONS)
		.withPropertyValues("spring.main.cloud-platform=none");

	@Test
	void providesWebBeansByDefault() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.hasSingleBean(RequestTracker.class)
			.hasSingleBean(LameDuckDelay.class)
			.hasSingleBean(DrainMonitor.class)
			.hasSingleBean(DrainMonitor.StartMarker.class));
	}

	@Test
	void providesNoWebBeansWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(ShutdownRecorder.class)
				.doesNotHaveBean(RequestTracker.class)
				.doesNotHaveBean(LameDuckDelay.class)
				.doesNotHaveBean(DrainMonitor.class)
				.doesNotHaveBean(DrainMonitor.StartMarker.class));
	}

	@Test
	void providesNoWebBeansWhenDisabledEvenWithUserDefinedShutdownProgress() {
		this.contextRunner.withUserConfiguration(UserProgressConfiguration.class)
			.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(RequestTracker.class)
				.doesNotHaveBean(LameDuckDelay.class)
				.doesNotHaveBean(DrainMonitor.class));
	}

	@Test
	void providesNoWebBeansInNonWebApplication() {
		new ApplicationContextRunner().withConfiguration(AUTO_CONFIGURATIONS)
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(ShutdownRecorder.class)
				.doesNotHaveBean(RequestTracker.class)
				.doesNotHaveBean(LameDuckDelay.class)
				.doesNotHaveBean(DrainMonitor.class)
				.doesNotHaveBean(DrainMonitor.StartMarker.class));
	}

	@Test
	void providesNoWebBeansWithoutSpringBootWebServer() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(WebServerApplicationContext.class))
			.run((context) -> assertThat(context).hasNotFailed()
				.hasSingleBean(ShutdownRecorder.class)
				.doesNotHaveBean(RequestTracker.class)
				.doesNotHaveBean(LameDuckDelay.class)
				.doesNotHaveBean(DrainMonitor.class));
	}

	@Test
	void requestsToTheActuatorsBasePathDoNotEndTheQuietPeriod() {
		this.contextRunner.withConfiguration(AutoConfigurations.of(EndpointAutoConfiguration.class,
				WebEndpointAutoConfiguration.class))
			.withPropertyValues("management.endpoints.web.base-path=/manage")
			.run((context) -> {
				RequestTracker tracker = context.getBean(RequestTracker.class);
				tracker.recordArrival("/manage/health/readiness");
				assertThat(tracker.lastArrivalNanos()).isZero();
				tracker.recordArrival("/actuator/health");
				assertThat(tracker.lastArrivalNanos()).isNotZero();
			});
	}

	@Test
	void withoutTheActuatorsWebEndpointsEveryRequestEndsTheQuietPeriod() {
		this.contextRunner.run((context) -> {
			RequestTracker tracker = context.getBean(RequestTracker.class);
			tracker.recordArrival("/actuator/health");
			assertThat(tracker.lastArrivalNanos()).isNotZero();
		});
	}

	@Test
	void backsOffToUserDefinedRequestTracker() {
		this.contextRunner.withUserConfiguration(UserRequestTrackerConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(RequestTracker.class).hasBean("userTracker");
			RequestTracker tracker = context.getBean(RequestTracker.class);
			ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
			// One request that never finishes: the drain monitor must count it from the
			// user's tracker.
			tracker.requestStarted();
			context.close();
			assertThat(progress.report().requests()).isEqualTo(new Requests(1, 0, 1));
		});
	}

	@Test
	void backsOffToUserDefinedLameDuckDelay() {
		this.contextRunner.withUserConfiguration(UserLameDuckDelayConfiguration.class)
			.withPropertyValues("graceful.shutdown.delay=10s")
			.run((context) -> {
				assertThat(context).hasSingleBean(LameDuckDelay.class).hasBean("userDelay");
				ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
				// The user's delay is zero; the auto-configured 10s would block here.
				context.close();
				assertThat(progress.report().phase(LameDuckDelay.STEP).outcome()).isEqualTo(Outcome.SKIPPED);
			});
	}

	@Test
	void backsOffToUserDefinedDrainMonitor() {
		this.contextRunner.withUserConfiguration(UserDrainMonitorConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(DrainMonitor.class).hasBean("userDrainMonitor");
			assertThat(context).getBean(DrainMonitor.StartMarker.class)
				.isSameAs(context.getBean(DrainMonitor.class).startMarker());
		});
	}

	@Test
	void usesUserDefinedShutdownProgress() {
		this.contextRunner.withUserConfiguration(UserProgressConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(ShutdownRecorder.class).hasSingleBean(RequestTracker.class);
			ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
			RequestTracker tracker = context.getBean(RequestTracker.class);
			assertThat(tracker.isShuttingDown()).isFalse();
			progress.begin();
			assertThat(tracker.isShuttingDown()).isTrue();
		});
	}

	@Test
	void placesDelayAndDrainBracketAroundSpringBootsDrain() {
		this.contextRunner.run((context) -> {
			int drainPhase = WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE;
			// Higher phases stop first: delay, drain start, Spring Boot's drain, drain end.
			assertThat(context.getBean(LameDuckDelay.class).getPhase())
				.isGreaterThan(context.getBean(DrainMonitor.StartMarker.class).getPhase());
			assertThat(context.getBean(DrainMonitor.StartMarker.class).getPhase()).isGreaterThan(drainPhase);
			assertThat(context.getBean(DrainMonitor.class).getPhase()).isLessThan(drainPhase);
			assertThat(context.getBean(DrainMonitor.class).getPhase())
				.isGreaterThan(WebServerApplicationContext.START_STOP_LIFECYCLE_PHASE);
		});
	}

	@Test
	void closingRecordsReadinessDelayAndDrainInOrder() {
		this.contextRunner.run((context) -> {
			ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
			context.close();
			ShutdownReport report = progress.report();
			assertThat(report.complete()).isTrue();
			assertThat(report.phases()).extracting(Phase::name)
				.startsWith("readiness", "delay", "drain")
				.doesNotHaveDuplicates();
			assertThat(report.phase("delay").outcome()).isEqualTo(Outcome.SKIPPED);
			assertThat(report.phase("drain").outcome()).isEqualTo(Outcome.COMPLETED);
			assertThat(report.requests()).isEqualTo(new Requests(0, 0, 0));
		});
	}

	@Test
	void delayWithoutQuietPeriodIsServedInFull() {
		this.contextRunner.withPropertyValues("graceful.shutdown.delay=300ms").run((context) -> {
			ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
			context.close();
			Phase delay = progress.report().phase("delay");
			assertThat(delay.outcome()).isEqualTo(Outcome.COMPLETED);
			assertThat(delay.durationMs()).isGreaterThanOrEqualTo(300);
		});
	}

	@Test
	void quietPeriodEndsDelayEarlyWhenNoRequestArrives() {
		this.contextRunner.withPropertyValues("graceful.shutdown.delay=10s", "graceful.shutdown.quiet-period=200ms")
			.run((context) -> {
				ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
				long start = System.nanoTime();
				context.close();
				Duration closing = Duration.ofNanos(System.nanoTime() - start);
				ShutdownReport report = progress.report();
				assertThat(report.phase("delay").outcome()).isEqualTo(Outcome.ENDED_EARLY);
				// The quiet period counts from the start of the shutdown, not of the delay.
				assertThat(report.totalMs()).isGreaterThanOrEqualTo(200);
				assertThat(closing).isLessThan(Duration.ofSeconds(8));
			});
	}

	@Configuration(proxyBeanMethods = false)
	static class UserRequestTrackerConfiguration {

		@Bean
		RequestTracker userTracker(ShutdownRecorder progress) {
			return new RequestTracker(progress, java.util.List.of());
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserLameDuckDelayConfiguration {

		@Bean
		LameDuckDelay userDelay(ShutdownRecorder progress) {
			return new LameDuckDelay(progress, Duration.ZERO, null, () -> 0);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserDrainMonitorConfiguration {

		@Bean
		DrainMonitor userDrainMonitor(ShutdownRecorder progress, RequestTracker tracker, ApplicationContext context) {
			return new DrainMonitor(progress, tracker, new WebServerDrain(context), Duration.ofSeconds(30),
					Duration.ZERO);
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserProgressConfiguration {

		@Bean
		ShutdownRecorder userProgress() {
			return new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30)));
		}

	}

}
