package dev.graceful.shutdown.report;

import java.util.stream.Collectors;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.timeline.ShutdownLifecycle;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownTimeline;

/**
 * The report step: ends the shutdown report and logs it as one summary line and a table.
 * Runs after every other step; its listeners (the report file, the meters) hear about it.
 */
public final class ShutdownSummary extends ShutdownLifecycle {

	private static final Log logger = LogFactory.getLog(ShutdownSummary.class);

	private final ShutdownRecorder progress;

	public ShutdownSummary(ShutdownRecorder progress) {
		super(ShutdownTimeline.REPORT, progress);
		this.progress = progress;
	}

	@Override
	protected void onShutdown() {
		if (!this.progress.isComplete()) {
			ShutdownReport report = this.progress.complete();
			if (report != null) {
				logger.info(summary(report));
				logger.info(table(report));
			}
		}
	}

	static String summary(ShutdownReport report) {
		String steps = report.phases()
			.stream()
			.map((phase) -> phase.name() + " " + phase.durationMs() + " ms " + phase.outcome())
			.collect(Collectors.joining(", "));
		StringBuilder line = new StringBuilder("Graceful shutdown complete in ").append(report.totalMs())
			.append(" ms: ")
			.append(steps);
		Requests requests = report.requests();
		if (requests != null) {
			line.append("; requests: ")
				.append(requests.inFlightAtStart())
				.append(" in flight at drain start, ")
				.append(requests.completed())
				.append(" completed, ")
				.append(requests.aborted())
				.append(" aborted");
		}
		return line.toString();
	}

	static String table(ShutdownReport report) {
		StringBuilder table = new StringBuilder("Graceful shutdown report (budget ").append(report.budgetMs())
			.append(" ms, used ")
			.append(report.totalMs())
			.append(" ms):");
		// Participants bring names of their own: the column fits the longest.
		int width = 10;
		for (var phase : report.phases()) {
			width = Math.max(width, phase.name().length());
		}
		String row = "%n  %-" + width + "s %9s %9s  %-11s %s";
		table.append(String.format(row, "step", "start ms", "took ms", "outcome", "detail"));
		for (var phase : report.phases()) {
			table.append(String.format(row, phase.name(), phase.startOffsetMs(), phase.durationMs(), phase.outcome(),
					phase.detail()));
		}
		for (var cleanup : report.cleanups()) {
			table.append(String.format("%n  cleanup    %-28s order %4d %7d ms  %-9s %s", "'" + cleanup.name() + "'",
					cleanup.order(), cleanup.durationMs(), cleanup.outcome(),
					(cleanup.error() != null) ? cleanup.error() : ""));
		}
		var tasks = report.tasks();
		if (tasks != null) {
			for (var abandoned : tasks.abandoned()) {
				table.append(String.format("%n  abandoned  '%s' after %d ms on %s%s", abandoned.name(),
						abandoned.runningMs(), abandoned.thread(),
						(abandoned.at() != null) ? " at " + abandoned.at() : ""));
			}
		}
		return table.toString();
	}

}
