package dev.graceful.shutdown.autoconfigure;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.ApplicationListener;

import dev.graceful.shutdown.ShutdownCleanups;

/**
 * Logs the planned shutdown timeline once the application has started, with the grace
 * period the platform must allow for it.
 */
final class ShutdownPlanLogger implements ApplicationListener<ApplicationStartedEvent> {

	private static final Log logger = LogFactory.getLog(ShutdownPlanLogger.class);

	private final ShutdownPlan plan;

	private final ShutdownCleanups cleanups;

	ShutdownPlanLogger(ShutdownPlan plan, ShutdownCleanups cleanups) {
		this.plan = plan;
		this.cleanups = cleanups;
	}

	@Override
	public void onApplicationEvent(ApplicationStartedEvent event) {
		logger.info(describe());
	}

	String describe() {
		ShutdownPlan plan = this.plan;
		return "Graceful shutdown plan: delay " + plan.delay().toMillis() + " ms"
				+ ((plan.quietPeriod() != null) ? " (ends after " + plan.quietPeriod().toMillis() + " ms quiet)" : "")
				+ ", drain up to " + plan.maxDrain().toMillis() + " ms, tasks up to " + plan.tasksTimeout().toMillis()
				+ " ms, " + this.cleanups.planned().size() + " cleanup(s) up to "
				+ plan.cleanupTimeout().toMillis() + " ms each; budget " + plan.budget().toMillis() + " ms"
				+ (plan.watchdogEnabled() ? " + " + plan.watchdogMargin().toMillis() + " ms watchdog margin" : "")
				+ ": needs terminationGracePeriodSeconds >= " + plan.requiredGracePeriodSeconds();
	}

}
