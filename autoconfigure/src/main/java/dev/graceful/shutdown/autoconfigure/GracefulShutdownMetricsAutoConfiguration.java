package dev.graceful.shutdown.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.metrics.DeferredMeterRegistryClosing;
import dev.graceful.shutdown.metrics.GracefulShutdownMetrics;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the shutdown's Micrometer meters, and for keeping the meter
 * registries open until the shutdown is recorded.
 */
@AutoConfiguration(
		after = GracefulShutdownAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnGracefulShutdownEnabled
@ConditionalOnBean(MeterRegistry.class)
public final class GracefulShutdownMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	GracefulShutdownMetrics gracefulShutdownMetrics(MeterRegistry registry,
			ObjectProvider<RequestTracker> requestTracker, ObjectProvider<WorkTracker> workTracker,
			ObjectProvider<ParticipantRunner> participants) {
		return new GracefulShutdownMetrics(registry, requestTracker.getIfAvailable(), WorkTrackers.registry(workTracker),
				participants.getIfAvailable());
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty(name = GracefulShutdownProperties.DEFER_REGISTRY_CLOSE, matchIfMissing = true)
	DeferredMeterRegistryClosing gracefulShutdownDeferredMeterRegistryClosing(ApplicationContext applicationContext,
			ShutdownRecorder progress) {
		return new DeferredMeterRegistryClosing(applicationContext, progress);
	}

}
