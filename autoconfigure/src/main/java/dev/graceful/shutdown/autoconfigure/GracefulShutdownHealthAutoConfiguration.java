package dev.graceful.shutdown.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.actuate.GracefulShutdownHealthIndicator;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the {@code gracefulShutdown} health contributor.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnGracefulShutdownEnabled
@ConditionalOnEnabledHealthIndicator("gracefulshutdown")
public final class GracefulShutdownHealthAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "gracefulShutdownHealthIndicator")
	GracefulShutdownHealthIndicator gracefulShutdownHealthIndicator(ShutdownProgress progress) {
		return new GracefulShutdownHealthIndicator(progress);
	}

}
