package dev.graceful.shutdown.report;

import java.util.stream.Collectors;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.SmartLifecycle;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Requests;

/**
 * Ends the shutdown report and logs it as one summary line. Runs in the lowest lifecycle
 * phase, after every other step.
 */
public final class ShutdownSummary implements SmartLifecycle {

	/** Phase of this lifecycle: stopped after every other lifecycle bean. */
	public static final int PHASE = Integer.MIN_VALUE;

	private static final Log logger = LogFactory.getLog(ShutdownSummary.class);

	private final ShutdownProgress progress;

	private volatile boolean running;

	public ShutdownSummary(ShutdownProgress progress) {
		this.progress = progress;
	}

	@Override
	public void start() {
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		if (this.progress.isShuttingDown() && !this.progress.isComplete()) {
			logger.info(summary(this.progress.complete()));
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

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	@Override
	public boolean isPauseable() {
		return false;
	}

}
