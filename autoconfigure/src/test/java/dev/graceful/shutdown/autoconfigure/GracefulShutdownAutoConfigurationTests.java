package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.context.properties.ConfigurationPropertiesBean;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.cleanup.CleanupRunner;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.readiness.ShutdownStartListener;
import dev.graceful.shutdown.report.ShutdownSummary;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownPlan;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownTimeline;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link GracefulShutdownAutoConfiguration}.
 */
class GracefulShutdownAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(ApplicationAvailabilityAutoConfiguration.class,
				GracefulShutdownAutoConfiguration.class));

	@Test
	void providesCoreBeansByDefault() {
		this.contextRunner.run((context) -> assertThat(context).hasNotFailed()
			.hasSingleBean(ShutdownPlan.class)
			.hasSingleBean(ShutdownRecorder.class)
			.hasSingleBean(ShutdownStartListener.class)
			.hasSingleBean(ShutdownSummary.class)
			.hasSingleBean(ParticipantRunner.class)
			.hasSingleBean(ParticipantRunner.Starter.class)
			.hasSingleBean(GracefulShutdownProperties.class));
	}

	@Test
	void registersThePartsAsSingletonsWithoutBeanDefinitions() {
		this.contextRunner.run((context) -> {
			ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
			RegisteredParts.assertSingletonsWithoutDefinitions(beanFactory, "gracefulShutdownBudget",
					"gracefulShutdownProgress", "gracefulShutdownPlan", "gracefulShutdownStartListener",
					"gracefulShutdownParticipants", "gracefulShutdownParticipantsStarter", "gracefulShutdownSummary",
					"gracefulShutdownCleanups", "gracefulShutdownCleanupRunner", "gracefulShutdownWorkTracker",
					"gracefulShutdownTaskDrain", "gracefulShutdownPlanLogger",
					"gracefulShutdownOnShutdownAnnotationBeanPostProcessor", "gracefulShutdownExecutorTracking");
			// What is left of the auto-configuration: the registrar, besides Spring's own.
			RegisteredParts.assertDefinitions(beanFactory, "gracefulShutdown", "gracefulShutdownCore");
		});
	}

	@Test
	void propertiesAreBoundOnceAndListedAsConfigurationProperties() {
		this.contextRunner.withPropertyValues("graceful.shutdown.delay=7s", "graceful.shutdown.cleanup.timeout=4s")
			.run((context) -> {
				GracefulShutdownProperties properties = context.getBean(GracefulShutdownProperties.class);
				assertThat(properties.getCleanup().getTimeout()).isEqualTo(Duration.ofSeconds(4));
				assertThat(context.getBean(ShutdownPlan.class).delay()).isEqualTo(Duration.ofSeconds(7));
				// /actuator/configprops lists it, with the values bound.
				ConfigurationPropertiesBean listed = ConfigurationPropertiesBean.getAll(context)
					.get(ShutdownCoreRegistrar.PROPERTIES_BEAN_NAME);
				assertThat(listed).isNotNull();
				assertThat(listed.getInstance()).isSameAs(properties);
				assertThat(listed.getAnnotation().prefix()).isEqualTo("graceful.shutdown");
			});
	}

	@Test
	void beanWithThePartsNameButAnotherTypeFailsTheStartupNamingIt() {
		this.contextRunner.withUserConfiguration(UserBeanNamedLikeAPartConfiguration.class)
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasMessageContaining("'gracefulShutdownSummary'")
				.hasMessageContaining("graceful.shutdown.enabled=false"));
	}

	@Test
	void recordIsExposedReadOnlyAsShutdownProgress() {
		this.contextRunner.run((context) -> assertThat(context.getBean(ShutdownProgress.class))
			.isSameAs(context.getBean(ShutdownRecorder.class)));
	}

	@Test
	void everyStepRunsInThePhaseOfItsStageOfTheTimeline() {
		this.contextRunner.run((context) -> {
			assertThat(context.getBean(ParticipantRunner.Starter.class).getPhase())
				.isEqualTo(ShutdownTimeline.DRAIN_START.phase());
			assertThat(context.getBean(ParticipantRunner.class).getPhase())
				.isEqualTo(ShutdownTimeline.PARTICIPANTS.phase());
			assertThat(context.getBean(CleanupRunner.class).getPhase()).isEqualTo(ShutdownTimeline.CLEANUP.phase());
			assertThat(context.getBean(ShutdownSummary.class).getPhase()).isEqualTo(ShutdownTimeline.REPORT.phase());
			assertThat(ShutdownTimeline.values()).extracting(ShutdownTimeline::phase)
				.as("stages top to bottom, each stopped after the one above")
				.isSortedAccordingTo((a, b) -> Integer.compare(b, a))
				.doesNotHaveDuplicates();
			assertThat(ShutdownTimeline.WEB_SERVER_DRAIN_PHASE).isLessThan(ShutdownTimeline.DRAIN_START.phase())
				.isGreaterThan(ShutdownTimeline.DRAIN_END.phase());
		});
	}

	@Test
	void providesOnlyTheInertApiAndThePropertiesWhenDisabled() {
		this.contextRunner.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(ShutdownPlan.class)
					.doesNotHaveBean(ShutdownRecorder.class)
					.doesNotHaveBean(ShutdownStartListener.class)
					.doesNotHaveBean(ShutdownSummary.class)
					.doesNotHaveBean(ParticipantRunner.class)
					.hasSingleBean(WorkTracker.class)
					.hasSingleBean(ShutdownCleanups.class);
				assertThat(context.getBean(GracefulShutdownProperties.class).isEnabled()).isFalse();
				assertThat(context.getBeanFactory().getSingletonNames())
					.filteredOn((name) -> name.startsWith("graceful"))
					.containsExactlyInAnyOrder(ShutdownCoreRegistrar.PROPERTIES_BEAN_NAME,
							"gracefulShutdownWorkTracker", "gracefulShutdownCleanups", "gracefulShutdownCore");
			});
	}

	@Test
	void delayDefaultsToZeroOffKubernetes() {
		this.contextRunner.withPropertyValues("spring.main.cloud-platform=none")
			.run((context) -> assertThat(context.getBean(ShutdownPlan.class).delay()).isZero());
	}

	@Test
	void delayDefaultsToTenSecondsOnKubernetes() {
		this.contextRunner.withPropertyValues("spring.main.cloud-platform=kubernetes")
			.run((context) -> assertThat(context.getBean(ShutdownPlan.class).delay())
				.isEqualTo(Duration.ofSeconds(10)));
	}

	@Test
	void explicitDelayWinsOverKubernetesDefault() {
		this.contextRunner.withPropertyValues("spring.main.cloud-platform=kubernetes", "graceful.shutdown.delay=3s")
			.run((context) -> assertThat(context.getBean(ShutdownPlan.class).delay())
				.isEqualTo(Duration.ofSeconds(3)));
	}

	@Test
	void explicitZeroDelayWinsOverKubernetesDefault() {
		this.contextRunner.withPropertyValues("spring.main.cloud-platform=kubernetes", "graceful.shutdown.delay=0")
			.run((context) -> assertThat(context.getBean(ShutdownPlan.class).delay()).isZero());
	}

	@Test
	void planCarriesQuietPeriodAndConnectionClose() {
		this.contextRunner
			.withPropertyValues("graceful.shutdown.delay=5s", "graceful.shutdown.quiet-period=500ms",
					"graceful.shutdown.web.connection-close=false")
			.run((context) -> {
				ShutdownPlan plan = context.getBean(ShutdownPlan.class);
				assertThat(plan.delay()).isEqualTo(Duration.ofSeconds(5));
				assertThat(plan.quietPeriod()).isEqualTo(Duration.ofMillis(500));
				assertThat(context.getBean(GracefulShutdownProperties.class).getWeb().isConnectionClose()).isFalse();
			});
	}

	@Test
	void backsOffToUserDefinedShutdownPlan() {
		this.contextRunner.withUserConfiguration(UserPlanConfiguration.class)
			.run((context) -> assertThat(context).hasNotFailed()
				.getBean(ShutdownPlan.class)
				.isSameAs(context.getBean("userPlan")));
	}

	@Test
	void backsOffToUserDefinedShutdownProgress() {
		this.contextRunner.withUserConfiguration(UserProgressConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(ShutdownRecorder.class).hasBean("userProgress");
			ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
			context.close();
			// The auto-configured listener and summary record into the user's bean.
			assertThat(progress.isShuttingDown()).isTrue();
			assertThat(progress.isComplete()).isTrue();
		});
	}

	@Test
	void backsOffToUserDefinedStartListenerAndSummary() {
		this.contextRunner.withUserConfiguration(UserListenerAndSummaryConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(ShutdownStartListener.class)
				.hasBean("userStartListener")
				.hasSingleBean(ShutdownSummary.class)
				.hasBean("userSummary"));
	}

	@Test
	void closingContextStartsShutdownRefusesTrafficAndCompletesReport() {
		this.contextRunner.run((context) -> {
			ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
			ApplicationAvailability availability = context.getBean(ApplicationAvailability.class);
			assertThat(progress.isShuttingDown()).isFalse();
			assertThat(progress.report()).isNull();
			// What SpringApplication publishes once the application has started and is ready.
			AvailabilityChangeEvent.publish(context, LivenessState.CORRECT);
			AvailabilityChangeEvent.publish(context, ReadinessState.ACCEPTING_TRAFFIC);
			context.close();
			assertThat(availability.getReadinessState()).isEqualTo(ReadinessState.REFUSING_TRAFFIC);
			assertThat(availability.getLivenessState()).isEqualTo(LivenessState.CORRECT);
			ShutdownReport report = progress.report();
			assertThat(report).isNotNull();
			assertThat(report.complete()).isTrue();
			// Web steps do not run without a web server; later steps (cleanup, ...) may.
			assertThat(report.phases()).extracting(ShutdownReport.Phase::name)
				.startsWith("readiness")
				.doesNotContain("delay", "drain");
			assertThat(report.phase("readiness").outcome()).isEqualTo(Outcome.COMPLETED);
			assertThat(report.phase("readiness").detail()).isEqualTo("published on shutdown start");
			// No web server: nothing to count.
			assertThat(report.requests()).isNull();
		});
	}

	@Test
	void closingWithoutApplicationAvailabilityStillStartsShutdown() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GracefulShutdownAutoConfiguration.class))
			.run((context) -> {
				assertThat(context).doesNotHaveBean(ApplicationAvailability.class);
				ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
				context.close();
				assertThat(progress.isComplete()).isTrue();
				assertThat(progress.report().phase("readiness").detail())
					.isEqualTo("no ApplicationAvailability bean");
			});
	}

	@Test
	void childContextClosingDoesNotStartShutdown() {
		this.contextRunner.run((context) -> {
			ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
			try (AnnotationConfigApplicationContext child = new AnnotationConfigApplicationContext()) {
				child.setParent(context);
				child.refresh();
			}
			assertThat(progress.isShuttingDown()).isFalse();
			context.close();
			assertThat(progress.isShuttingDown()).isTrue();
		});
	}

	@Test
	void stoppingWithoutClosingDoesNotStartShutdown() {
		this.contextRunner.run((context) -> {
			ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
			context.getSourceApplicationContext().stop();
			assertThat(progress.isShuttingDown()).isFalse();
			assertThat(progress.report()).isNull();
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class UserBeanNamedLikeAPartConfiguration {

		@Bean
		String gracefulShutdownSummary() {
			return "a summary of the application's own";
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserPlanConfiguration {

		@Bean
		ShutdownPlan userPlan() {
			return new GracefulShutdownProperties().plan(null, Duration.ofSeconds(30));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserProgressConfiguration {

		@Bean
		ShutdownRecorder userProgress() {
			return new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30)));
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserListenerAndSummaryConfiguration {

		@Bean
		ShutdownStartListener userStartListener(ShutdownRecorder progress, ApplicationContext context) {
			return new ShutdownStartListener(progress, context, context.getBeanProvider(ApplicationAvailability.class));
		}

		@Bean
		ShutdownSummary userSummary(ShutdownRecorder progress) {
			return new ShutdownSummary(progress);
		}

	}

}
