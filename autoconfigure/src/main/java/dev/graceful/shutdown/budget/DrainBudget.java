package dev.graceful.shutdown.budget;

import java.time.Duration;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.LifecycleProcessor;
import org.springframework.context.support.DefaultLifecycleProcessor;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.support.ShutdownLifecycle;

/**
 * Caps Spring Boot's web server drain by the budget: just before the drain phase starts,
 * sets that phase's timeout to the smaller of
 * {@code spring.lifecycle.timeout-per-shutdown-phase} and what is left of the budget
 * after the tasks and cleanup reserve. Spring reads a phase's timeout when the phase
 * starts, so the cap reflects how long the delay actually took.
 */
public final class DrainBudget extends ShutdownLifecycle {

	private static final Log logger = LogFactory.getLog(DrainBudget.class);

	private final ShutdownProgress progress;

	private final ShutdownBudget budget;

	private final Supplier<LifecycleProcessor> lifecycleProcessor;

	private final Duration drainTimeout;

	private final Duration reserve;

	private final int drainPhase;

	/**
	 * Create a new instance.
	 * @param progress the shutdown progress
	 * @param budget the budget
	 * @param lifecycleProcessor the context's lifecycle processor (only a
	 * {@link DefaultLifecycleProcessor} can be capped)
	 * @param drainTimeout Spring's own timeout for the drain phase
	 * @param reserve what the steps after the drain need
	 * @param drainPhase the lifecycle phase of the drain
	 */
	public DrainBudget(ShutdownProgress progress, ShutdownBudget budget, Supplier<LifecycleProcessor> lifecycleProcessor,
			Duration drainTimeout, Duration reserve, int drainPhase) {
		super(drainPhase + 1, progress);
		this.progress = progress;
		this.budget = budget;
		this.lifecycleProcessor = lifecycleProcessor;
		this.drainTimeout = drainTimeout;
		this.reserve = reserve;
		this.drainPhase = drainPhase;
	}

	@Override
	protected void onShutdown() {
		if (this.lifecycleProcessor.get() instanceof DefaultLifecycleProcessor lifecycleProcessor) {
			Duration cap = this.budget.cap(this.drainTimeout, this.reserve);
			lifecycleProcessor.setTimeoutForShutdownPhase(this.drainPhase, cap.toMillis());
			if (cap.compareTo(this.drainTimeout) < 0) {
				logger.info("Graceful shutdown: drain capped at " + cap.toMillis()
						+ " ms by graceful.shutdown.timeout");
			}
		}
	}

}
