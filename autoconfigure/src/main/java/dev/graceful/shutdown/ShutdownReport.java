package dev.graceful.shutdown;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What happened during one shutdown: each step (the timeline's own and those of shutdown
 * participants) with its timing and outcome, what became of the HTTP requests and the
 * background work in flight, and each cleanup.
 *
 * @param startedAt wall-clock time at which the shutdown started
 * @param totalMs milliseconds from the start of the shutdown to the end of the last step
 * @param budgetMs the overall budget ({@code graceful.shutdown.timeout}) in milliseconds
 * @param complete whether every step has ended (false while the shutdown is under way)
 * @param phases the steps in the order they started
 * @param requests what became of the HTTP requests, or {@code null} outside web
 * applications
 * @param tasks what became of the background work, or {@code null} if that step did not
 * run
 * @param cleanups the cleanups in the order they ran
 */
public record ShutdownReport(Instant startedAt, long totalMs, long budgetMs, boolean complete, List<Phase> phases,
		@Nullable Requests requests, @Nullable Tasks tasks, List<Cleanup> cleanups) {

	public ShutdownReport {
		phases = List.copyOf(phases);
		cleanups = List.copyOf(cleanups);
	}

	/**
	 * Return the step with the given name.
	 * @param name the name of the step, for example {@code "delay"}
	 * @return the step, or {@code null} if it did not run
	 */
	public @Nullable Phase phase(String name) {
		for (Phase phase : this.phases) {
			if (phase.name().equals(name)) {
				return phase;
			}
		}
		return null;
	}

	/**
	 * One step of the shutdown.
	 *
	 * @param name the name of the step ({@code readiness}, {@code delay}, {@code drain},
	 * ...)
	 * @param startOffsetMs milliseconds from the start of the shutdown to the start of
	 * the step
	 * @param durationMs how long the step took, in milliseconds
	 * @param outcome how the step ended
	 * @param detail a human-readable account of the outcome
	 * @param counts the work the step found in flight and what became of it, or
	 * {@code null} for steps that do not count work
	 */
	public record Phase(String name, long startOffsetMs, long durationMs, Outcome outcome, String detail,
			@Nullable Counts counts) {

		/**
		 * Create a step that has no counts of its own.
		 * @param name the name of the step
		 * @param startOffsetMs milliseconds from the start of the shutdown to the start of
		 * the step
		 * @param durationMs how long the step took, in milliseconds
		 * @param outcome how the step ended
		 * @param detail a human-readable account of the outcome
		 */
		public Phase(String name, long startOffsetMs, long durationMs, Outcome outcome, String detail) {
			this(name, startOffsetMs, durationMs, outcome, detail, null);
		}

	}

	/**
	 * The work a step found in flight and what became of it: the requests of the drain,
	 * the work of a {@link ShutdownParticipant shutdown participant}.
	 *
	 * @param inFlightAtStart units of work in flight when the step started
	 * @param completed units that finished before the step's deadline
	 * @param cancelled units that ended after they were cancelled at the deadline
	 * @param abandoned units still in flight when the step gave up on them
	 * @param handedBack units given back unprocessed, for another instance to take (for
	 * example messages fetched but not started)
	 */
	public record Counts(long inFlightAtStart, long completed, long cancelled, long abandoned, long handedBack) {
	}

	/**
	 * What became of the HTTP requests during the drain.
	 *
	 * @param inFlightAtStart requests being processed when the drain started
	 * @param completed requests that completed while the drain was under way
	 * @param aborted requests still being processed when the drain gave up
	 */
	public record Requests(long inFlightAtStart, long completed, long aborted) {
	}

	/**
	 * What became of the background work: tracked units of work (including each run of a
	 * task on a tracked Spring executor) and tasks queued on tracked executors.
	 *
	 * @param completed units that finished on their own after the shutdown started
	 * @param cancelled units that finished after they were cancelled (interrupted)
	 * @param neverStarted queued executor tasks dropped at cancellation without running
	 * @param skipped scheduled runs not started because the shutdown had begun
	 * @param abandoned units still running when the shutdown gave up on them
	 */
	public record Tasks(long completed, long cancelled, long neverStarted, long skipped, List<Abandoned> abandoned) {

		public Tasks {
			abandoned = List.copyOf(abandoned);
		}

	}

	/**
	 * A unit of background work left running.
	 *
	 * @param name what the work is
	 * @param runningMs how long it had run when it was abandoned, in milliseconds
	 * @param thread the name of its thread, or {@code null} where details are not shown
	 * @param at the innermost application stack frame of its thread, or {@code null}
	 */
	public record Abandoned(String name, long runningMs, @Nullable String thread, @Nullable String at) {
	}

	/**
	 * One cleanup.
	 *
	 * @param name the name of the cleanup
	 * @param order its order
	 * @param durationMs how long it ran, in milliseconds
	 * @param outcome {@link Outcome#COMPLETED}, {@link Outcome#FAILED} or
	 * {@link Outcome#TIMED_OUT}
	 * @param error what went wrong, or {@code null} if it completed
	 */
	public record Cleanup(String name, int order, long durationMs, Outcome outcome, @Nullable String error) {
	}

	/**
	 * How a step ended.
	 */
	public enum Outcome {

		/**
		 * The step did all of its work.
		 */
		COMPLETED,

		/**
		 * The step did all of its work and finished before its deadline because there
		 * was nothing left to wait for.
		 */
		ENDED_EARLY,

		/**
		 * The step had nothing to do.
		 */
		SKIPPED,

		/**
		 * The step ran out of time and left work unfinished.
		 */
		TIMED_OUT,

		/**
		 * The step failed.
		 */
		FAILED

	}

}
