package dev.graceful.shutdown.timeline;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.ShutdownReport.Tasks;

/**
 * How the steps write what became of them into the {@link ShutdownRecorder record of the
 * shutdown}: each step that ended, the HTTP requests, the background work, each cleanup.
 * <p>
 * Static methods of a class of their own rather than methods of the recorder: the
 * recorder is a bean, and Spring's reflection over a bean's class at startup loads every
 * type that its methods name. The report's types are needed once the shutdown has begun,
 * and this class with them.
 */
public final class ShutdownRecording {

	private ShutdownRecording() {
	}

	/**
	 * Record a step that has ended.
	 * @param recorder the record of the shutdown
	 * @param name the name of the step
	 * @param stepStartNanos the {@link System#nanoTime()} at which the step started
	 * @param outcome how the step ended
	 * @param detail a human-readable account of the outcome
	 * @return the recorded step
	 */
	public static Phase stepEnded(ShutdownRecorder recorder, String name, long stepStartNanos, Outcome outcome,
			String detail) {
		return stepEnded(recorder, name, stepStartNanos, outcome, detail, null);
	}

	/**
	 * Record a step that has ended, with the work it found in flight. A step that runs
	 * beside the timeline (a participant) records itself here without having been
	 * {@link ShutdownRecorder#stepStarted(String) started} as the current step.
	 * @param recorder the record of the shutdown
	 * @param name the name of the step
	 * @param stepStartNanos the {@link System#nanoTime()} at which the step started
	 * @param outcome how the step ended
	 * @param detail a human-readable account of the outcome
	 * @param counts the work the step found in flight and what became of it, or
	 * {@code null}
	 * @return the recorded step
	 */
	public static Phase stepEnded(ShutdownRecorder recorder, String name, long stepStartNanos, Outcome outcome,
			String detail, @Nullable Counts counts) {
		long now = System.nanoTime();
		Phase phase = new Phase(name, toMillis(stepStartNanos - recorder.startNanos), toMillis(now - stepStartNanos),
				outcome, detail, counts);
		List<Phase> phases = recorder.phases;
		synchronized (phases) {
			// In the order the steps started: participants end out of turn.
			int index = phases.size();
			while (index > 0 && phases.get(index - 1).startOffsetMs() > phase.startOffsetMs()) {
				index--;
			}
			phases.add(index, phase);
		}
		if (name.equals(recorder.currentStep)) {
			recorder.currentStep = null;
		}
		recorder.notifyListeners((listener) -> listener.stepEnded(phase));
		return phase;
	}

	/**
	 * Record what became of the HTTP requests during the drain.
	 * @param recorder the record of the shutdown
	 * @param requests the request counts
	 */
	public static void recordRequests(ShutdownRecorder recorder, Requests requests) {
		recorder.requests = requests;
	}

	/**
	 * Record what became of the background work.
	 * @param recorder the record of the shutdown
	 * @param tasks the task counts and the abandoned work
	 */
	public static void recordTasks(ShutdownRecorder recorder, Tasks tasks) {
		recorder.tasks = tasks;
	}

	/**
	 * Record a cleanup that has ended.
	 * @param recorder the record of the shutdown
	 * @param cleanup the cleanup
	 */
	public static void recordCleanup(ShutdownRecorder recorder, Cleanup cleanup) {
		recorder.cleanups.add(cleanup);
		recorder.notifyListeners((listener) -> listener.cleanupEnded(cleanup));
	}

	private static long toMillis(long nanos) {
		return TimeUnit.NANOSECONDS.toMillis(nanos);
	}

}
