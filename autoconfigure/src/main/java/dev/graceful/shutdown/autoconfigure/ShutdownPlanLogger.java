package dev.graceful.shutdown.autoconfigure;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.ApplicationListener;

import dev.graceful.shutdown.cleanup.CleanupRegistry;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownPlan;

/**
 * Logs the planned shutdown timeline once the application has started, with the grace
 * period the platform must allow for it.
 */
final class ShutdownPlanLogger implements ApplicationListener<ApplicationStartedEvent> {

	private static final Log logger = LogFactory.getLog(ShutdownPlanLogger.class);

	private final ShutdownPlan plan;

	private final CleanupRegistry cleanups;

	private final ParticipantRunner participants;

	ShutdownPlanLogger(ShutdownPlan plan, CleanupRegistry cleanups, ParticipantRunner participants) {
		this.plan = plan;
		this.cleanups = cleanups;
		this.participants = participants;
	}

	@Override
	public void onApplicationEvent(ApplicationStartedEvent event) {
		logger.info(describe());
	}

	String describe() {
		ShutdownPlan plan = this.plan;
		List<ParticipantRunner.Status> participants = this.participants.participants();
		String beside = participants.isEmpty() ? ""
				: ", beside them " + participants.size() + " participant(s) ("
						+ participants.stream()
							.map((participant) -> participant.name() + " " + participant.start())
							.collect(Collectors.joining(", "))
						+ ") up to "
						+ ((plan.participantsTimeout() != null) ? plan.participantsTimeout().toMillis() + " ms"
								: "what the budget allows");
		return "Graceful shutdown plan: delay " + plan.delay().toMillis() + " ms"
				+ ((plan.quietPeriod() != null) ? " (ends after " + plan.quietPeriod().toMillis() + " ms quiet)" : "")
				+ ", drain up to " + plan.maxDrain().toMillis() + " ms, tasks up to " + plan.tasksTimeout().toMillis()
				+ " ms, " + this.cleanups.planned().size() + " cleanup(s) up to " + plan.cleanupTimeout().toMillis()
				+ " ms each" + beside + "; budget " + plan.budget().toMillis() + " ms"
				+ ((plan.watchdogMargin() != null) ? " + " + plan.watchdogMargin().toMillis() + " ms watchdog margin"
						: "")
				+ ": needs terminationGracePeriodSeconds >= " + plan.requiredGracePeriodSeconds();
	}

}
