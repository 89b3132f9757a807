package dev.graceful.shutdown.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.ApplicationListener;

import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.tasks.WorkRegistry;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * Micrometer meters of the shutdown, on the application's registry:
 * <ul>
 * <li>{@value #STEP} timer, tags {@code step} and {@code outcome}: each step, shutdown
 * participants included (tagged with their names);</li>
 * <li>{@value #CLEANUP} timer, tags {@code name} and {@code outcome}: each cleanup;</li>
 * <li>{@value #DURATION} timer: the whole shutdown;</li>
 * <li>{@value #REQUESTS_ACTIVE} gauge: HTTP requests in flight;</li>
 * <li>{@value #WORK_ACTIVE} gauge: tracked units of background work running;</li>
 * <li>{@value #PARTICIPANT_ACTIVE} gauge, tag {@code participant}: the work a shutdown
 * participant has in flight;</li>
 * <li>{@value #REQUESTS_ABORTED} counter: requests still running when the drain gave
 * up;</li>
 * <li>{@value #WORK_ABANDONED} counter: units of work abandoned at the tasks
 * deadline;</li>
 * <li>{@value #PARTICIPANT_ABANDONED} counter, tag {@code participant}: units of work a
 * shutdown participant still had in flight at its deadline.</li>
 * </ul>
 */
public final class GracefulShutdownMetrics
		implements ShutdownListener, SmartInitializingSingleton, ApplicationListener<ApplicationStartedEvent> {

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

	/** Gauge of the work a shutdown participant has in flight. */
	public static final String PARTICIPANT_ACTIVE = "graceful.shutdown.participant.active";

	/** Counter of the units of work a participant still had in flight at its deadline. */
	public static final String PARTICIPANT_ABANDONED = "graceful.shutdown.participant.abandoned";

	private final MeterRegistry registry;

	private final Counter requestsAborted;

	private final Counter workAbandoned;

	private final @Nullable ParticipantRunner participants;

	private final Set<String> participantNames = ConcurrentHashMap.newKeySet();

	public GracefulShutdownMetrics(MeterRegistry registry, @Nullable RequestTracker requestTracker,
			@Nullable WorkRegistry workTracker, @Nullable ParticipantRunner participants) {
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
		this.participants = participants;
		this.requestsAborted = Counter.builder(REQUESTS_ABORTED)
			.description("HTTP requests still running when the drain gave up")
			.register(registry);
		this.workAbandoned = Counter.builder(WORK_ABANDONED)
			.description("Units of background work abandoned at the tasks deadline")
			.register(registry);
	}

	@Override
	public void afterSingletonsInstantiated() {
		// The participants are known once every singleton exists.
		ParticipantRunner participants = this.participants;
		if (participants == null) {
			return;
		}
		participants.resolve();
		bindParticipants(participants);
	}

	@Override
	public void onApplicationEvent(ApplicationStartedEvent event) {
		// Message listener containers join the participants once the application has started.
		ParticipantRunner participants = this.participants;
		if (participants != null) {
			bindParticipants(participants);
		}
	}

	private void bindParticipants(ParticipantRunner participants) {
		for (ParticipantRunner.Status status : participants.participants()) {
			String name = status.name();
			if (this.participantNames.add(name)) {
				Gauge.builder(PARTICIPANT_ACTIVE, participants, (runner) -> inFlight(runner, name))
					.description("Work a shutdown participant has in flight")
					.tag("participant", name)
					.register(this.registry);
			}
		}
	}

	private static double inFlight(ParticipantRunner runner, String name) {
		for (ParticipantRunner.Status participant : runner.participants()) {
			if (participant.name().equals(name)) {
				return (participant.inFlight() >= 0) ? participant.inFlight() : Double.NaN;
			}
		}
		return Double.NaN;
	}

	@Override
	public void stepEnded(Phase phase) {
		Timer.builder(STEP)
			.description("Duration of a shutdown step")
			.tag("step", phase.name())
			.tag("outcome", phase.outcome().name())
			.register(this.registry)
			.record(phase.durationMs(), TimeUnit.MILLISECONDS);
		Counts counts = phase.counts();
		if (counts != null && this.participantNames.contains(phase.name())) {
			Counter.builder(PARTICIPANT_ABANDONED)
				.description("Units of work a shutdown participant still had in flight at its deadline")
				.tag("participant", phase.name())
				.register(this.registry)
				.increment(counts.abandoned());
		}
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
