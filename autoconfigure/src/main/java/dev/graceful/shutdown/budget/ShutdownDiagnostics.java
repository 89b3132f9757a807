package dev.graceful.shutdown.budget;

import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * Tells the {@link ShutdownWatchdog} what this application is still doing: the current
 * step and what it is busy with, the requests in flight and the background work.
 */
public final class ShutdownDiagnostics implements DisposableBean {

	private final ShutdownProgress progress;

	private final @Nullable WorkTracker workTracker;

	private final @Nullable RequestTracker requestTracker;

	private final Supplier<String> source = this::describe;

	public ShutdownDiagnostics(ShutdownProgress progress, @Nullable WorkTracker workTracker,
			@Nullable RequestTracker requestTracker) {
		this.progress = progress;
		this.workTracker = workTracker;
		this.requestTracker = requestTracker;
		ShutdownWatchdog.addDiagnostics(this.source);
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
		return text.toString();
	}

	private static String describeWork(WorkTracker.Work work) {
		Thread thread = work.thread();
		String where = (thread != null) ? "on " + thread.getName() : "waiting for its thread";
		return "'" + work.name() + "' for " + work.runningFor().toMillis() + " ms " + where;
	}

	@Override
	public void destroy() {
		// When the JVM is exiting, what happens after this bean is destroyed still needs
		// describing: keep the source until the end.
		if (!ShutdownWatchdog.isJvmShuttingDown()) {
			ShutdownWatchdog.removeDiagnostics(this.source);
		}
	}

}
