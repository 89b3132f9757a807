package dev.graceful.shutdown.actuate;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

import dev.graceful.shutdown.ShutdownParticipant;
import dev.graceful.shutdown.ShutdownProgress.State;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Abandoned;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Tasks;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.cleanup.CleanupRegistry;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.report.ReportFile;
import dev.graceful.shutdown.tasks.WorkRegistry;
import dev.graceful.shutdown.timeline.ShutdownPlan;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * {@code /actuator/gracefulshutdown}: the state of the shutdown (running, or shutting
 * down with the current step and elapsed time, live while the server still answers),
 * the requests, background work and participants' work in flight now, the planned
 * timeline, the report of the shutdown under way and the report of the previous run.
 * Read-only: nothing here triggers a shutdown. Error messages, thread names and stack
 * frames are shown according to {@code management.endpoint.gracefulshutdown.show-details}.
 */
@Endpoint(id = "gracefulshutdown")
public class GracefulShutdownEndpoint {

	private final ShutdownRecorder progress;

	private final ShutdownPlan plan;

	private final CleanupRegistry cleanups;

	private final @Nullable RequestTracker requestTracker;

	private final @Nullable WorkRegistry workTracker;

	private final @Nullable ParticipantRunner participants;

	private final @Nullable ReportFile reportFile;

	private final Show showDetails;

	private final Set<String> roles;

	/**
	 * Create a new endpoint.
	 * @param progress the record of the shutdown
	 * @param plan the planned timeline
	 * @param cleanups the cleanups
	 * @param requestTracker the request tracker, or {@code null} outside web applications
	 * @param workTracker the work tracker, or {@code null}
	 * @param participants the shutdown participants, or {@code null}
	 * @param reportFile the report file, or {@code null} if none is configured
	 * @param showDetails when to show error details
	 * @param roles the roles that may see details when authorized
	 */
	public GracefulShutdownEndpoint(ShutdownRecorder progress, ShutdownPlan plan, CleanupRegistry cleanups,
			@Nullable RequestTracker requestTracker, @Nullable WorkRegistry workTracker,
			@Nullable ParticipantRunner participants, @Nullable ReportFile reportFile, Show showDetails,
			Set<String> roles) {
		this.progress = progress;
		this.plan = plan;
		this.cleanups = cleanups;
		this.requestTracker = requestTracker;
		this.workTracker = workTracker;
		this.participants = participants;
		this.reportFile = reportFile;
		this.showDetails = showDetails;
		this.roles = Set.copyOf(roles);
	}

	@ReadOperation
	public ShutdownDescriptor shutdown(SecurityContext securityContext) {
		boolean details = this.showDetails.isShown(securityContext, this.roles);
		boolean shuttingDown = this.progress.isShuttingDown();
		String step = this.progress.currentStep();
		ShutdownReport report = this.progress.report();
		ShutdownReport previous = (this.reportFile != null) ? this.reportFile.previous() : null;
		return new ShutdownDescriptor(this.progress.state(), shuttingDown ? this.progress.elapsed().toMillis() : null,
				shuttingDown ? step : null,
				(shuttingDown && step != null) ? this.progress.currentStepElapsed().toMillis() : null,
				shuttingDown ? this.progress.activity() : null,
				(this.requestTracker != null) ? this.requestTracker.inFlight() : null,
				(this.workTracker != null)
						? this.workTracker.active().stream().map((work) -> WorkDescriptor.of(work, details)).toList()
						: null,
				participants().stream().map(ParticipantDescriptor::of).toList(), plan(),
				(report != null) ? visible(report, details) : null,
				(previous != null) ? visible(previous, details) : null);
	}

	private List<ParticipantRunner.Status> participants() {
		return (this.participants != null) ? this.participants.participants() : List.of();
	}

	private PlanDescriptor plan() {
		ShutdownPlan plan = this.plan;
		return new PlanDescriptor(plan.delay().toMillis(), millis(plan.quietPeriod()), plan.maxDrain().toMillis(),
				plan.tasksTimeout().toMillis(), plan.cleanupTimeout().toMillis(), millis(plan.participantsTimeout()),
				plan.budget().toMillis(), plan.watchdogMargin() != null, plan.requiredGracePeriodSeconds(),
				this.cleanups.planned()
					.stream()
					.map((cleanup) -> new PlannedCleanup(cleanup.name(), cleanup.order(),
							cleanup.timeout().toMillis()))
					.toList(),
				participants().stream().map((participant) -> new PlannedParticipant(participant.name(),
						participant.start())).toList());
	}

	private static @Nullable Long millis(@Nullable Duration duration) {
		return (duration != null) ? duration.toMillis() : null;
	}

	/**
	 * Return the report as it may be shown: without error messages, thread names and
	 * stack frames unless details are shown.
	 */
	static ShutdownReport visible(ShutdownReport report, boolean details) {
		if (details) {
			return report;
		}
		Tasks tasks = report.tasks();
		return new ShutdownReport(report.startedAt(), report.totalMs(), report.budgetMs(), report.complete(),
				report.phases(), report.requests(),
				(tasks != null) ? new Tasks(tasks.completed(), tasks.cancelled(), tasks.neverStarted(), tasks.skipped(),
						tasks.abandoned()
							.stream()
							.map((work) -> new Abandoned(work.name(), work.runningMs(), null, null))
							.toList())
						: null,
				report.cleanups()
					.stream()
					.map((cleanup) -> new Cleanup(cleanup.name(), cleanup.order(), cleanup.durationMs(),
							cleanup.outcome(), null))
					.toList());
	}

	/**
	 * The state of the shutdown.
	 *
	 * @param state where the application is in its life
	 * @param elapsedMs how long the shutdown has been under way, once it has started
	 * @param step the step of the timeline running now
	 * @param stepElapsedMs how long that step has been running
	 * @param activity what that step is busy with
	 * @param inFlightRequests HTTP requests in flight, in web applications
	 * @param activeWork units of background work running
	 * @param participants the shutdown participants and their work in flight
	 * @param plan the planned timeline
	 * @param report the report of the shutdown under way or done
	 * @param previousReport the report of the previous run, from the report file
	 */
	@JsonInclude(Include.NON_NULL)
	public record ShutdownDescriptor(State state, @Nullable Long elapsedMs, @Nullable String step,
			@Nullable Long stepElapsedMs, @Nullable String activity, @Nullable Long inFlightRequests,
			@Nullable List<WorkDescriptor> activeWork, List<ParticipantDescriptor> participants, PlanDescriptor plan,
			@Nullable ShutdownReport report, @Nullable ShutdownReport previousReport) implements OperationResponseBody {
	}

	/**
	 * A unit of background work running.
	 *
	 * @param name what the work is
	 * @param runningMs how long it has run (or waited for its thread)
	 * @param thread its thread, where details are shown
	 * @param waitingForThread {@code true} for a task handed to an executor whose thread
	 * has not reached it yet
	 */
	@JsonInclude(Include.NON_NULL)
	public record WorkDescriptor(String name, long runningMs, @Nullable String thread,
			@Nullable Boolean waitingForThread) {

		static WorkDescriptor of(WorkTracker.Work work, boolean details) {
			Thread thread = work.thread();
			return new WorkDescriptor(work.name(), work.runningFor().toMillis(),
					(thread != null && details) ? thread.getName() : null, (thread == null) ? Boolean.TRUE : null);
		}

	}

	/**
	 * A shutdown participant now.
	 *
	 * @param name its bean name
	 * @param start when its shutdown starts
	 * @param state where it is in its shutdown
	 * @param inFlight the work it has in flight, if it says
	 */
	@JsonInclude(Include.NON_NULL)
	public record ParticipantDescriptor(String name, ShutdownParticipant.Start start, String state,
			@Nullable Long inFlight) {

		static ParticipantDescriptor of(ParticipantRunner.Status status) {
			return new ParticipantDescriptor(status.name(), status.start(), status.state(),
					(status.inFlight() >= 0) ? status.inFlight() : null);
		}

	}

	/**
	 * The planned timeline.
	 *
	 * @param delayMs the lame-duck delay
	 * @param quietPeriodMs the quiet period that ends the delay early, if set
	 * @param drainMaxMs the longest the HTTP drain can take within the budget
	 * @param tasksTimeoutMs how long the tasks step waits before cancelling
	 * @param cleanupTimeoutMs how long each cleanup may run unless it sets its own
	 * @param participantsTimeoutMs how long each participant may take, if set
	 * @param budgetMs the overall budget
	 * @param watchdog whether the watchdog halts an overdue shutdown
	 * @param requiredGracePeriodSeconds the grace period the platform must allow
	 * @param cleanups the cleanups in the order they will run
	 * @param participants the shutdown participants
	 */
	@JsonInclude(Include.NON_NULL)
	public record PlanDescriptor(long delayMs, @Nullable Long quietPeriodMs, long drainMaxMs, long tasksTimeoutMs,
			long cleanupTimeoutMs, @Nullable Long participantsTimeoutMs, long budgetMs, boolean watchdog,
			long requiredGracePeriodSeconds, List<PlannedCleanup> cleanups, List<PlannedParticipant> participants) {
	}

	/**
	 * A planned cleanup.
	 *
	 * @param name its name
	 * @param order its order
	 * @param timeoutMs how long it may run
	 */
	public record PlannedCleanup(String name, int order, long timeoutMs) {
	}

	/**
	 * A planned participant.
	 *
	 * @param name its bean name
	 * @param start when its shutdown starts
	 */
	public record PlannedParticipant(String name, ShutdownParticipant.Start start) {
	}

}
