package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.WorkTracker;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for {@code graceful.shutdown.enabled=false}: keeps the public API
 * injectable, so that turning the starter off never breaks the application, but inert.
 * Spring Boot's own shutdown applies: work started with {@link WorkTracker} is not
 * awaited and cleanups registered with {@link ShutdownCleanups} do not run.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "graceful.shutdown.enabled", havingValue = false)
public final class GracefulShutdownDisabledAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	WorkTracker gracefulShutdownWorkTracker() {
		// A progress that never begins: the tracker counts work but nothing waits for it.
		return new WorkTracker(new ShutdownProgress());
	}

	@Bean
	@ConditionalOnMissingBean
	ShutdownCleanups gracefulShutdownCleanups() {
		return new ShutdownCleanups(Duration.ofSeconds(5));
	}

}
