package dev.graceful.shutdown.actuate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.autoconfigure.ShutdownPlan;
import dev.graceful.shutdown.report.ReportFile;
import dev.graceful.shutdown.report.ReportJson;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * {@code /actuator/gracefulshutdown}: the state of the shutdown (running, or shutting
 * down with the current step and elapsed time, live while the server still answers),
 * the requests and background work in flight now, the planned timeline, the report of
 * the shutdown under way and the report of the previous run. Read-only: nothing here
 * triggers a shutdown. Error messages, thread names and stack frames are shown according
 * to {@code management.endpoint.gracefulshutdown.show-details}.
 */
@Endpoint(id = "gracefulshutdown")
public class GracefulShutdownEndpoint {

	private final ShutdownProgress progress;

	private final ShutdownPlan plan;

	private final ShutdownCleanups cleanups;

	private final @Nullable RequestTracker requestTracker;

	private final @Nullable WorkTracker workTracker;

	private final @Nullable ReportFile reportFile;

	private final Show showDetails;

	private final Set<String> roles;

	/**
	 * Create a new endpoint.
	 * @param progress the shutdown progress
	 * @param plan the planned timeline
	 * @param cleanups the cleanups
	 * @param requestTracker the request tracker, or {@code null} outside web applications
	 * @param workTracker the work tracker, or {@code null}
	 * @param reportFile the report file, or {@code null} if none is configured
	 * @param showDetails when to show error details
	 * @param roles the roles that may see details when authorized
	 */
	public GracefulShutdownEndpoint(ShutdownProgress progress, ShutdownPlan plan, ShutdownCleanups cleanups,
			@Nullable RequestTracker requestTracker, @Nullable WorkTracker workTracker, @Nullable ReportFile reportFile,
			Show showDetails, Set<String> roles) {
		this.progress = progress;
		this.plan = plan;
		this.cleanups = cleanups;
		this.requestTracker = requestTracker;
		this.workTracker = workTracker;
		this.reportFile = reportFile;
		this.showDetails = showDetails;
		this.roles = Set.copyOf(roles);
	}

	@ReadOperation
	public Map<String, Object> shutdown(SecurityContext securityContext) {
		boolean details = this.showDetails.isShown(securityContext, this.roles);
		Map<String, Object> result = new LinkedHashMap<>();
		result.put("state", state(this.progress).name());
		if (this.progress.isShuttingDown()) {
			result.put("elapsedMs", this.progress.elapsed().toMillis());
			putIfNotNull(result, "step", this.progress.currentStep());
			if (this.progress.currentStep() != null) {
				result.put("stepElapsedMs", this.progress.currentStepElapsed().toMillis());
			}
			putIfNotNull(result, "activity", this.progress.activity());
		}
		if (this.requestTracker != null) {
			result.put("inFlightRequests", this.requestTracker.inFlight());
		}
		if (this.workTracker != null) {
			result.put("activeWork", this.workTracker.active()
				.stream()
				.map((work) -> workEntry(work, details))
				.toList());
		}
		result.put("plan", plan());
		ShutdownReport report = this.progress.report();
		if (report != null) {
			result.put("report", ReportJson.toMap(report, details));
		}
		Map<String, Object> previous = (this.reportFile != null) ? this.reportFile.previous() : null;
		if (previous != null) {
			result.put("previousReport", details ? previous : ReportJson.withoutDetails(previous));
		}
		return result;
	}

	private static Map<String, Object> workEntry(WorkTracker.Work work, boolean details) {
		Map<String, Object> entry = new LinkedHashMap<>();
		entry.put("name", work.name());
		entry.put("runningMs", work.runningFor().toMillis());
		Thread thread = work.thread();
		if (thread == null) {
			entry.put("waitingForThread", true);
		}
		else if (details) {
			entry.put("thread", thread.getName());
		}
		return entry;
	}

	private Map<String, Object> plan() {
		Map<String, Object> plan = new LinkedHashMap<>();
		plan.put("delayMs", this.plan.delay().toMillis());
		if (this.plan.quietPeriod() != null) {
			plan.put("quietPeriodMs", this.plan.quietPeriod().toMillis());
		}
		plan.put("drainMaxMs", this.plan.maxDrain().toMillis());
		plan.put("tasksTimeoutMs", this.plan.tasksTimeout().toMillis());
		plan.put("cleanupTimeoutMs", this.plan.cleanupTimeout().toMillis());
		plan.put("budgetMs", this.plan.budget().toMillis());
		plan.put("watchdog", this.plan.watchdogEnabled());
		plan.put("requiredGracePeriodSeconds", this.plan.requiredGracePeriodSeconds());
		List<Map<String, Object>> cleanups = this.cleanups.planned().stream().map((cleanup) -> {
			Map<String, Object> entry = new LinkedHashMap<>();
			entry.put("name", cleanup.name());
			entry.put("order", cleanup.order());
			entry.put("timeoutMs", cleanup.timeout().toMillis());
			return entry;
		}).toList();
		plan.put("cleanups", cleanups);
		return plan;
	}

	static State state(ShutdownProgress progress) {
		if (!progress.isShuttingDown()) {
			return State.RUNNING;
		}
		return progress.isComplete() ? State.SHUT_DOWN : State.SHUTTING_DOWN;
	}

	private static void putIfNotNull(Map<String, Object> map, String key, @Nullable Object value) {
		if (value != null) {
			map.put(key, value);
		}
	}

	/**
	 * Where the application is in its life.
	 */
	public enum State {

		/**
		 * Serving normally.
		 */
		RUNNING,

		/**
		 * The shutdown has started and is under way.
		 */
		SHUTTING_DOWN,

		/**
		 * Every step of the shutdown has ended.
		 */
		SHUT_DOWN

	}

}
