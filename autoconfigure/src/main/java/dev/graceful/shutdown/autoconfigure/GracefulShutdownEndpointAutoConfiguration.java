package dev.graceful.shutdown.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.actuate.GracefulShutdownEndpoint;
import dev.graceful.shutdown.actuate.GracefulShutdownEndpointProperties;
import dev.graceful.shutdown.cleanup.CleanupRegistry;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.report.ReportFile;
import dev.graceful.shutdown.timeline.ShutdownPlan;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the {@code gracefulshutdown} Actuator endpoint.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBooleanProperty(name = GracefulShutdownProperties.ENABLED, matchIfMissing = true)
@ConditionalOnAvailableEndpoint(GracefulShutdownEndpoint.class)
@EnableConfigurationProperties(GracefulShutdownEndpointProperties.class)
public final class GracefulShutdownEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	GracefulShutdownEndpoint gracefulShutdownEndpoint(ShutdownRecorder progress, ShutdownPlan plan,
			CleanupRegistry cleanups, ObjectProvider<RequestTracker> requestTracker,
			ObjectProvider<WorkTracker> workTracker, ObjectProvider<ParticipantRunner> participants,
			ObjectProvider<ReportFile> reportFile, GracefulShutdownEndpointProperties properties) {
		return new GracefulShutdownEndpoint(progress, plan, cleanups, requestTracker.getIfAvailable(),
				Singletons.workRegistry(workTracker), participants.getIfAvailable(), reportFile.getIfAvailable(),
				properties.getShowDetails(), properties.getRoles());
	}

}
