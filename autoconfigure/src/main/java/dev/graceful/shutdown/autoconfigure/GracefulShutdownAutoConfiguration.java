package dev.graceful.shutdown.autoconfigure;

import java.util.Objects;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.availability.ApplicationAvailabilityAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.budget.ShutdownBudget;
import dev.graceful.shutdown.budget.ShutdownDiagnostics;
import dev.graceful.shutdown.cleanup.CleanupRunner;
import dev.graceful.shutdown.cleanup.OnShutdownAnnotationBeanPostProcessor;
import dev.graceful.shutdown.readiness.ShutdownStartListener;
import dev.graceful.shutdown.report.ReportFile;
import dev.graceful.shutdown.report.ShutdownSummary;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the parts of graceful shutdown that every application has: the
 * shutdown progress, its start (readiness), the cleanups and the summary.
 */
@AutoConfiguration(after = ApplicationAvailabilityAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "graceful.shutdown.enabled", matchIfMissing = true)
@EnableConfigurationProperties(GracefulShutdownProperties.class)
public final class GracefulShutdownAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	ShutdownPlan gracefulShutdownPlan(GracefulShutdownProperties properties, Environment environment) {
		return ShutdownPlan.of(properties, environment);
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownProgress gracefulShutdownProgress(ShutdownPlan plan) {
		ShutdownProgress progress = new ShutdownProgress();
		progress.setBudgetMillis(plan.budget().toMillis());
		return progress;
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnProperty("graceful.shutdown.report.file")
	ReportFile gracefulShutdownReportFile(GracefulShutdownProperties properties, ShutdownProgress progress) {
		return new ReportFile(Objects.requireNonNull(properties.getReport().getFile()));
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownStartListener gracefulShutdownStartListener(ShutdownProgress progress,
			ApplicationContext applicationContext, ObjectProvider<ApplicationAvailability> availability) {
		return new ShutdownStartListener(progress, applicationContext, availability.getIfAvailable());
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownSummary gracefulShutdownSummary(ShutdownProgress progress) {
		return new ShutdownSummary(progress);
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownCleanups gracefulShutdownCleanups(ShutdownPlan plan) {
		return new ShutdownCleanups(plan.cleanupTimeout());
	}

	@Bean
	@ConditionalOnMissingBean
	static OnShutdownAnnotationBeanPostProcessor gracefulShutdownOnShutdownAnnotationBeanPostProcessor(
			ObjectProvider<ShutdownCleanups> cleanups) {
		return new OnShutdownAnnotationBeanPostProcessor(cleanups);
	}

	@Bean
	@ConditionalOnMissingBean
	CleanupRunner gracefulShutdownCleanupRunner(ShutdownProgress progress, ShutdownCleanups cleanups,
			ShutdownBudget budget) {
		return new CleanupRunner(progress, cleanups, budget, ShutdownPhases.CLEANUP);
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownBudget gracefulShutdownBudget(ShutdownPlan plan, ShutdownProgress progress) {
		return new ShutdownBudget(plan.budget(), progress);
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownDiagnostics gracefulShutdownDiagnostics(ShutdownProgress progress, ObjectProvider<WorkTracker> workTracker,
			ObjectProvider<RequestTracker> requestTracker) {
		return new ShutdownDiagnostics(progress, workTracker.getIfAvailable(), requestTracker.getIfAvailable());
	}

	@Bean
	@ConditionalOnMissingBean(name = "gracefulShutdownListenerRegistration")
	SmartInitializingSingleton gracefulShutdownListenerRegistration(ShutdownProgress progress,
			ObjectProvider<ShutdownListener> listeners) {
		return () -> listeners.orderedStream().forEach(progress::addListener);
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownPlanLogger gracefulShutdownPlanLogger(ShutdownPlan plan, ShutdownCleanups cleanups) {
		return new ShutdownPlanLogger(plan, cleanups);
	}

}
