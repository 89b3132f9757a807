package dev.graceful.shutdown.autoconfigure;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.delay.LameDuckDelay;
import dev.graceful.shutdown.web.DrainMonitor;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the web steps shared by servlet and reactive applications: the
 * request tracker, the lame-duck delay and the drain monitor. Phases are placed around
 * {@link WebServerApplicationContext#GRACEFUL_SHUTDOWN_PHASE}: delay, drain start,
 * Spring Boot's drain, drain end.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnWebApplication
@ConditionalOnClass(WebServerApplicationContext.class)
@ConditionalOnBean(ShutdownProgress.class)
public final class GracefulShutdownWebAutoConfiguration {

	static final int DELAY_PHASE = WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE + 2;

	@Bean
	@ConditionalOnMissingBean
	RequestTracker gracefulShutdownRequestTracker(ShutdownProgress progress) {
		return new RequestTracker(progress);
	}

	@Bean
	@ConditionalOnMissingBean
	LameDuckDelay gracefulShutdownDelay(ShutdownProgress progress, ShutdownPlan plan, RequestTracker tracker) {
		return new LameDuckDelay(progress, plan.delay(), plan.quietPeriod(), tracker::lastArrivalNanos,
				DELAY_PHASE);
	}

	@Bean
	@ConditionalOnMissingBean
	DrainMonitor gracefulShutdownDrainMonitor(ShutdownProgress progress, RequestTracker tracker) {
		return new DrainMonitor(progress, tracker, WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE);
	}

	@Bean
	@ConditionalOnMissingBean
	DrainMonitor.StartMarker gracefulShutdownDrainStartMarker(DrainMonitor drainMonitor) {
		return drainMonitor.startMarker();
	}

}
