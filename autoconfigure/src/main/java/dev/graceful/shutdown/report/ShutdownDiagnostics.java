package dev.graceful.shutdown.report;

import java.util.List;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.tasks.WorkRegistry;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * Describes in one line what this application is still doing, for the watchdog to log
 * if the shutdown outlives its budget: the current step and what it is busy with, the
 * requests in flight, the background work and the participants still at work.
 */
public final class ShutdownDiagnostics {

	private final ShutdownRecorder progress;

	private final @Nullable WorkRegistry workTracker;

	private final @Nullable RequestTracker requestTracker;

	private final @Nullable ParticipantRunner participants;

	public ShutdownDiagnostics(ShutdownRecorder progress, @Nullable WorkRegistry workTracker,
			@Nullable RequestTracker requestTracker, @Nullable ParticipantRunner participants) {
		this.progress = progress;
		this.workTracker = workTracker;
		this.requestTracker = requestTracker;
		this.participants = participants;
	}

	/**
	 * Describe what is still running.
	 * @return one line for the watchdog's report
	 */
	public String describe() {
		StringBuilder text = new StringBuilder();
		String step = this.progress.currentStep();
		if (!this.progress.isShuttingDown()) {
			text.append("the application context has not started closing (a startup or another shutdown hook is still running)");
		}
		else if (step == null) {
			text.append("no step of ours: Spring is stopping other lifecycle beans or destroying beans (@PreDestroy)");
		}
		else {
			text.append("step '").append(step).append("' for ").append(this.progress.currentStepElapsed().toMillis())
				.append(" ms");
			String activity = this.progress.activity();
			if (activity != null) {
				text.append(" (").append(activity).append(')');
			}
		}
		if (this.requestTracker != null) {
			text.append("; ").append(this.requestTracker.inFlight()).append(" request(s) in flight");
		}
		if (this.workTracker != null) {
			List<WorkTracker.Work> active = this.workTracker.active();
			text.append("; ").append(active.size()).append(" unit(s) of background work");
			if (!active.isEmpty()) {
				text.append(": ")
					.append(active.stream()
						.map(ShutdownDiagnostics::describeWork)
						.collect(Collectors.joining(", ")));
			}
		}
		if (this.participants != null) {
			List<ParticipantRunner.Status> busy = this.participants.participants()
				.stream()
				.filter((participant) -> !participant.state().equals("ENDED"))
				.toList();
			if (!busy.isEmpty()) {
				text.append("; participant(s) not ended: ")
					.append(busy.stream()
						.map((participant) -> "'" + participant.name() + "' " + participant.state()
								+ ((participant.inFlight() >= 0) ? " with " + participant.inFlight() + " in flight"
										: ""))
						.collect(Collectors.joining(", ")));
			}
		}
		return text.toString();
	}

	private static String describeWork(WorkTracker.Work work) {
		Thread thread = work.thread();
		String where = (thread != null) ? "on " + thread.getName() : "waiting for its thread";
		return "'" + work.name() + "' for " + work.runningFor().toMillis() + " ms " + where;
	}

}
