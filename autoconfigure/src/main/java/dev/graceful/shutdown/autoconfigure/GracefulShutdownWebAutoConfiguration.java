package dev.graceful.shutdown.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.Lifecycle;
import org.springframework.context.LifecycleProcessor;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.support.AbstractApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.budget.DrainBudget;
import dev.graceful.shutdown.budget.ShutdownBudget;
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
@ConditionalOnBooleanProperty(name = "graceful.shutdown.enabled", matchIfMissing = true)
public final class GracefulShutdownWebAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	RequestTracker gracefulShutdownRequestTracker(ShutdownProgress progress, ShutdownPlan plan) {
		return new RequestTracker(progress, plan.quietPeriodIgnoredPaths());
	}

	@Bean
	@ConditionalOnMissingBean
	LameDuckDelay gracefulShutdownDelay(ShutdownProgress progress, ShutdownPlan plan, RequestTracker tracker) {
		return new LameDuckDelay(progress, plan.delay(), plan.quietPeriod(), tracker::lastArrivalNanos,
				ShutdownPhases.DELAY);
	}

	@Bean
	@ConditionalOnMissingBean
	DrainMonitor gracefulShutdownDrainMonitor(ShutdownProgress progress, RequestTracker tracker,
			ApplicationContext applicationContext) {
		return new DrainMonitor(progress, tracker, ShutdownPhases.DRAIN,
				() -> isServing(applicationContext), new ServerDrainLifecycle(applicationContext));
	}

	private static boolean isServing(ApplicationContext applicationContext) {
		if (applicationContext instanceof WebServerApplicationContext context) {
			WebServer webServer = context.getWebServer();
			return webServer != null && webServer.getPort() >= 0;
		}
		return true;
	}

	@Bean
	@ConditionalOnMissingBean
	DrainBudget gracefulShutdownDrainBudget(ShutdownProgress progress, ShutdownBudget budget, ShutdownPlan plan,
			ApplicationContext applicationContext) {
		return new DrainBudget(progress, budget,
				() -> applicationContext.getBean(AbstractApplicationContext.LIFECYCLE_PROCESSOR_BEAN_NAME,
						LifecycleProcessor.class),
				plan.drainTimeout(), plan.reserveAfterDrain(), ShutdownPhases.DRAIN);
	}

	@Bean
	@ConditionalOnMissingBean
	DrainMonitor.StartMarker gracefulShutdownDrainStartMarker(DrainMonitor drainMonitor) {
		return drainMonitor.startMarker();
	}

	/**
	 * Spring Boot's web server graceful shutdown lifecycle, looked up when needed: it is
	 * registered only once the web server has been created.
	 */
	private record ServerDrainLifecycle(ApplicationContext applicationContext) implements Lifecycle {

		private static final String BEAN_NAME = "webServerGracefulShutdown";

		@Override
		public void start() {
		}

		@Override
		public void stop() {
			// Spring Boot's lifecycle refuses a plain stop(); the asynchronous variant marks
			// it stopped, and its callback is not awaited.
			if (lifecycle() instanceof SmartLifecycle lifecycle) {
				lifecycle.stop(() -> {
				});
			}
		}

		@Override
		public boolean isRunning() {
			Lifecycle lifecycle = lifecycle();
			return lifecycle != null && lifecycle.isRunning();
		}

		private @Nullable Lifecycle lifecycle() {
			return this.applicationContext.containsBean(BEAN_NAME)
					? this.applicationContext.getBean(BEAN_NAME, Lifecycle.class) : null;
		}

	}

}
