package dev.graceful.shutdown.autoconfigure;

import java.util.Objects;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.context.LifecycleProperties;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.cleanup.CleanupRegistry;
import dev.graceful.shutdown.cleanup.CleanupRunner;
import dev.graceful.shutdown.cleanup.OnShutdownAnnotationBeanPostProcessor;
import dev.graceful.shutdown.discovery.DiscoveryPropagation;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.readiness.ShutdownStartListener;
import dev.graceful.shutdown.report.ReportFile;
import dev.graceful.shutdown.report.ShutdownDiagnostics;
import dev.graceful.shutdown.report.ShutdownSummary;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownPlan;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.watchdog.ShutdownWatchdog;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the parts of graceful shutdown that every application has: the
 * record of the shutdown and its budget, its start (readiness), the shutdown
 * participants, the cleanups and the report. The steps and the phases they run in are
 * listed in {@link dev.graceful.shutdown.timeline.ShutdownTimeline}.
 */
@AutoConfiguration(after = ApplicationAvailabilityAutoConfiguration.class)
@ConditionalOnGracefulShutdownEnabled
@EnableConfigurationProperties(GracefulShutdownProperties.class)
public final class GracefulShutdownAutoConfiguration {

	/**
	 * The budget, unless the watchdog installer registered it before the context was
	 * refreshed (an application started with {@code SpringApplication}): then it is the
	 * one whose clock the JVM's exit starts.
	 */
	@Bean
	@ConditionalOnMissingBean
	ShutdownBudget gracefulShutdownBudget(GracefulShutdownProperties properties) {
		return new ShutdownBudget(properties.getTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownRecorder gracefulShutdownProgress(ShutdownBudget budget, GracefulShutdownProperties properties,
			Environment environment) {
		// Every step records here: checking the settings here fails the startup before any
		// step exists.
		properties.check(CloudPlatform.getActive(environment));
		return new ShutdownRecorder(budget);
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownPlan gracefulShutdownPlan(GracefulShutdownProperties properties, Environment environment,
			ObjectProvider<LifecycleProperties> lifecycle) {
		return properties.plan(CloudPlatform.getActive(environment),
				lifecycle.getIfAvailable(LifecycleProperties::new).getTimeoutPerShutdownPhase());
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnProperty(GracefulShutdownProperties.REPORT_FILE)
	ReportFile gracefulShutdownReportFile(GracefulShutdownProperties properties) {
		return new ReportFile(Objects.requireNonNull(properties.getReport().getFile()));
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownStartListener gracefulShutdownStartListener(ShutdownRecorder progress,
			ApplicationContext applicationContext, ObjectProvider<ApplicationAvailability> availability) {
		return new ShutdownStartListener(progress, applicationContext, availability.getIfAvailable());
	}

	@Bean
	@ConditionalOnMissingBean
	ParticipantRunner gracefulShutdownParticipants(ShutdownRecorder progress, ListableBeanFactory beanFactory,
			GracefulShutdownProperties properties) {
		return new ParticipantRunner(progress, beanFactory, properties.getParticipants().getTimeout(),
				properties.getParticipants().getCancelGrace(), properties.reserveAfterDrain());
	}

	@Bean
	@ConditionalOnMissingBean
	ParticipantRunner.Starter gracefulShutdownParticipantsStarter(ParticipantRunner participants) {
		return participants.starter();
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownSummary gracefulShutdownSummary(ShutdownRecorder progress) {
		return new ShutdownSummary(progress);
	}

	@Bean
	@ConditionalOnMissingBean
	CleanupRegistry gracefulShutdownCleanups(GracefulShutdownProperties properties) {
		return new CleanupRegistry(properties.getCleanup().getTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	static OnShutdownAnnotationBeanPostProcessor gracefulShutdownOnShutdownAnnotationBeanPostProcessor(
			ObjectProvider<ShutdownCleanups> cleanups) {
		return new OnShutdownAnnotationBeanPostProcessor(cleanups);
	}

	@Bean
	@ConditionalOnMissingBean
	CleanupRunner gracefulShutdownCleanupRunner(ShutdownRecorder progress, CleanupRegistry cleanups) {
		return new CleanupRunner(progress, cleanups);
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownDiagnostics gracefulShutdownDiagnostics(ShutdownRecorder progress,
			ObjectProvider<WorkTracker> workTracker, ObjectProvider<RequestTracker> requestTracker,
			ObjectProvider<ParticipantRunner> participants, ObjectProvider<ShutdownWatchdog> watchdog) {
		ShutdownDiagnostics diagnostics = new ShutdownDiagnostics(progress, WorkTrackers.registry(workTracker),
				requestTracker.getIfAvailable(), participants.getIfAvailable());
		watchdog.ifAvailable((available) -> available.describeWith(diagnostics::describe));
		return diagnostics;
	}

	@Bean
	@ConditionalOnMissingBean(name = "gracefulShutdownListenerRegistration")
	SmartInitializingSingleton gracefulShutdownListenerRegistration(ShutdownRecorder progress,
			ObjectProvider<ShutdownListener> listeners) {
		return () -> listeners.orderedStream().forEach(progress::addListener);
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownPlanLogger gracefulShutdownPlanLogger(ShutdownPlan plan, CleanupRegistry cleanups,
			ParticipantRunner participants, ObjectProvider<DiscoveryPropagation> discovery) {
		return new ShutdownPlanLogger(plan, cleanups, participants, discovery.getIfAvailable());
	}

}
