package dev.graceful.shutdown.metrics;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * Micrometer meters of the shutdown, on the application's registry:
 * <ul>
 * <li>{@value #STEP} timer, tags {@code step} and {@code outcome}: each step;</li>
 * <li>{@value #CLEANUP} timer, tags {@code name} and {@code outcome}: each cleanup;</li>
 * <li>{@value #DURATION} timer: the whole shutdown;</li>
 * <li>{@value #REQUESTS_ACTIVE} gauge: HTTP requests in flight;</li>
 * <li>{@value #WORK_ACTIVE} gauge: tracked units of background work running;</li>
 * <li>{@value #REQUESTS_ABORTED} counter: requests still running when the drain gave
 * up;</li>
 * <li>{@value #WORK_ABANDONED} counter: units of work abandoned at the tasks
 * deadline.</li>
 * </ul>
 */
public final class GracefulShutdownMetrics implements ShutdownListener {

	/** Timer of each shutdown step. */
	public static final String STEP = "graceful.shutdown.step";

	/** Timer of each cleanup. */
	public static final String CLEANUP = "graceful.shutdown.cleanup";

	/** Timer of the whole shutdown. */
	public static final String DURATION = "graceful.shutdown.duration";

	/** Gauge of the HTTP requests in flight. */
	public static final String REQUESTS_ACTIVE = "graceful.shutdown.requests.active";

	/** Gauge of the tracked units of background work running. */
	public static final String WORK_ACTIVE = "graceful.shutdown.work.active";

	/** Counter of the requests aborted at the drain timeout. */
	public static final String REQUESTS_ABORTED = "graceful.shutdown.requests.aborted";

	/** Counter of the units of work abandoned at the tasks deadline. */
	public static final String WORK_ABANDONED = "graceful.shutdown.work.abandoned";

	private final MeterRegistry registry;

	private final Counter requestsAborted;

	private final Counter workAbandoned;

	public GracefulShutdownMetrics(MeterRegistry registry, @Nullable RequestTracker requestTracker,
			@Nullable WorkTracker workTracker) {
		this.registry = registry;
		if (requestTracker != null) {
			Gauge.builder(REQUESTS_ACTIVE, requestTracker, RequestTracker::inFlight)
				.description("HTTP requests in flight")
				.register(registry);
		}
		if (workTracker != null) {
			Gauge.builder(WORK_ACTIVE, workTracker, (tracker) -> tracker.active().size())
				.description("Tracked units of background work running")
				.register(registry);
		}
		this.requestsAborted = Counter.builder(REQUESTS_ABORTED)
			.description("HTTP requests still running when the drain gave up")
			.register(registry);
		this.workAbandoned = Counter.builder(WORK_ABANDONED)
			.description("Units of background work abandoned at the tasks deadline")
			.register(registry);
	}

	@Override
	public void stepEnded(Phase phase) {
		Timer.builder(STEP)
			.description("Duration of a shutdown step")
			.tag("step", phase.name())
			.tag("outcome", phase.outcome().name())
			.register(this.registry)
			.record(phase.durationMs(), TimeUnit.MILLISECONDS);
	}

	@Override
	public void cleanupEnded(Cleanup cleanup) {
		Timer.builder(CLEANUP)
			.description("Duration of a shutdown cleanup")
			.tag("name", cleanup.name())
			.tag("outcome", cleanup.outcome().name())
			.register(this.registry)
			.record(cleanup.durationMs(), TimeUnit.MILLISECONDS);
	}

	@Override
	public void shutdownCompleted(ShutdownReport report) {
		Timer.builder(DURATION)
			.description("Duration of the whole shutdown")
			.register(this.registry)
			.record(report.totalMs(), TimeUnit.MILLISECONDS);
		if (report.requests() != null) {
			this.requestsAborted.increment(report.requests().aborted());
		}
		if (report.tasks() != null) {
			this.workAbandoned.increment(report.tasks().abandoned().size());
		}
	}

}
