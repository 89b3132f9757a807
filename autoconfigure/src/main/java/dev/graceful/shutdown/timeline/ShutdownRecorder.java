package dev.graceful.shutdown.timeline;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.ShutdownReport.Tasks;

/**
 * The record of the shutdown as it happens: each step records itself here (its start,
 * its end with outcome and counts, what it is busy with), and the report, the log
 * summary, the meters and the Actuator endpoint read from it. Users see it through the
 * read-only {@link ShutdownProgress}.
 */
public final class ShutdownRecorder implements ShutdownProgress {

	private volatile boolean shuttingDown;

	private volatile long startNanos;

	private volatile @Nullable Instant startedAt;

	private volatile @Nullable String currentStep;

	private volatile long currentStepStartNanos;

	private volatile @Nullable String activity;

	private volatile boolean complete;

	private volatile long endNanos;

	private volatile @Nullable Requests requests;

	private final List<Phase> phases = new ArrayList<>();

	private final List<Cleanup> cleanups = new CopyOnWriteArrayList<>();

	private final List<Runnable> beginListeners = new CopyOnWriteArrayList<>();

	private volatile @Nullable Tasks tasks;

	private final CopyOnWriteArrayList<ShutdownListener> listeners = new CopyOnWriteArrayList<>();

	private final ShutdownBudget budget;

	/**
	 * Create a record for a shutdown with the given budget.
	 * @param budget the overall budget, whose clock the start of the shutdown starts
	 */
	public ShutdownRecorder(ShutdownBudget budget) {
		this.budget = budget;
	}

	/**
	 * Return the budget of the shutdown.
	 * @return the budget
	 */
	public ShutdownBudget budget() {
		return this.budget;
	}

	/**
	 * Mark the start of the shutdown and run the listeners added with
	 * {@link #onBegin(Runnable)}. Only the first call has an effect.
	 * @return {@code true} if this call started the shutdown
	 */
	public boolean begin() {
		return begin(() -> {
		});
	}

	/**
	 * Mark the start of the shutdown, run its first step, then the listeners added with
	 * {@link #onBegin(Runnable)}. Only the first call has an effect.
	 * @param firstStep the step that starts the shutdown, recorded before anything the
	 * listeners start
	 * @return {@code true} if this call started the shutdown
	 */
	public boolean begin(Runnable firstStep) {
		synchronized (this) {
			if (this.shuttingDown) {
				return false;
			}
			this.startNanos = System.nanoTime();
			this.startedAt = Instant.now();
			this.budget.startClock(this.startNanos);
			this.shuttingDown = true;
		}
		firstStep.run();
		for (Runnable listener : this.beginListeners) {
			listener.run();
		}
		return true;
	}

	/**
	 * Run a listener when the shutdown begins, on the thread that begins it.
	 * @param listener the listener; it must not throw
	 */
	public void onBegin(Runnable listener) {
		this.beginListeners.add(listener);
	}

	/**
	 * Add a listener that hears about each step, cleanup and the end of the shutdown.
	 * @param listener the listener
	 */
	public void addListener(ShutdownListener listener) {
		this.listeners.addIfAbsent(listener);
	}

	private void notifyListeners(Consumer<ShutdownListener> event) {
		for (ShutdownListener listener : this.listeners) {
			try {
				event.accept(listener);
			}
			catch (Throwable ex) {
				LogFactory.getLog(ShutdownRecorder.class).warn("Shutdown listener " + listener + " failed", ex);
			}
		}
	}

	@Override
	public boolean isShuttingDown() {
		return this.shuttingDown;
	}

	/**
	 * Return the {@link System#nanoTime()} at which the shutdown started.
	 * @return the start of the shutdown, meaningful only once {@link #isShuttingDown()}
	 */
	public long startNanos() {
		return this.startNanos;
	}

	@Override
	public @Nullable String currentStep() {
		return this.currentStep;
	}

	/**
	 * Return how long the current step has been running.
	 * @return the step's running time, zero if no step is running
	 */
	public Duration currentStepElapsed() {
		return (this.currentStep != null) ? Duration.ofNanos(System.nanoTime() - this.currentStepStartNanos)
				: Duration.ZERO;
	}

	/**
	 * Return what the current step is doing, for diagnostics.
	 * @return the activity, such as {@code cleanup 'cache.flush'}, or {@code null}
	 */
	public @Nullable String activity() {
		return this.activity;
	}

	/**
	 * Set what the current step is doing, for diagnostics.
	 * @param activity the activity, or {@code null} when it is over
	 */
	public void setActivity(@Nullable String activity) {
		this.activity = activity;
	}

	@Override
	public Duration elapsed() {
		if (!this.shuttingDown) {
			return Duration.ZERO;
		}
		long end = this.complete ? this.endNanos : System.nanoTime();
		return Duration.ofNanos(end - this.startNanos);
	}

	/**
	 * Note that a step has started. The step is recorded when it ends.
	 * @param name the name of the step
	 * @return the {@link System#nanoTime()} at which the step started
	 */
	public long stepStarted(String name) {
		long now = System.nanoTime();
		this.currentStepStartNanos = now;
		this.currentStep = name;
		return now;
	}

	/**
	 * Record a step that has ended.
	 * @param name the name of the step
	 * @param stepStartNanos the {@link System#nanoTime()} at which the step started
	 * @param outcome how the step ended
	 * @param detail a human-readable account of the outcome
	 * @return the recorded step
	 */
	public Phase stepEnded(String name, long stepStartNanos, Outcome outcome, String detail) {
		return stepEnded(name, stepStartNanos, outcome, detail, null);
	}

	/**
	 * Record a step that has ended, with the work it found in flight. A step that runs
	 * beside the timeline (a participant) records itself here without having been
	 * {@link #stepStarted(String) started} as the current step.
	 * @param name the name of the step
	 * @param stepStartNanos the {@link System#nanoTime()} at which the step started
	 * @param outcome how the step ended
	 * @param detail a human-readable account of the outcome
	 * @param counts the work the step found in flight and what became of it, or
	 * {@code null}
	 * @return the recorded step
	 */
	public Phase stepEnded(String name, long stepStartNanos, Outcome outcome, String detail,
			@Nullable Counts counts) {
		long now = System.nanoTime();
		Phase phase = new Phase(name, toMillis(stepStartNanos - this.startNanos), toMillis(now - stepStartNanos),
				outcome, detail, counts);
		synchronized (this.phases) {
			// In the order the steps started: participants end out of turn.
			int index = this.phases.size();
			while (index > 0 && this.phases.get(index - 1).startOffsetMs() > phase.startOffsetMs()) {
				index--;
			}
			this.phases.add(index, phase);
		}
		if (name.equals(this.currentStep)) {
			this.currentStep = null;
		}
		notifyListeners((listener) -> listener.stepEnded(phase));
		return phase;
	}

	/**
	 * Record what became of the HTTP requests during the drain.
	 * @param requests the request counts
	 */
	public void recordRequests(Requests requests) {
		this.requests = requests;
	}

	/**
	 * Record what became of the background work.
	 * @param tasks the task counts and the abandoned work
	 */
	public void recordTasks(Tasks tasks) {
		this.tasks = tasks;
	}

	/**
	 * Record a cleanup that has ended.
	 * @param cleanup the cleanup
	 */
	public void recordCleanup(Cleanup cleanup) {
		this.cleanups.add(cleanup);
		notifyListeners((listener) -> listener.cleanupEnded(cleanup));
	}

	/**
	 * Mark the end of the last step.
	 * @return the final report
	 */
	public @Nullable ShutdownReport complete() {
		boolean completedNow = false;
		synchronized (this) {
			if (!this.complete) {
				this.endNanos = System.nanoTime();
				this.complete = true;
				this.currentStep = null;
				completedNow = true;
			}
		}
		ShutdownReport report = report();
		if (completedNow && report != null) {
			notifyListeners((listener) -> listener.shutdownCompleted(report));
		}
		return report;
	}

	@Override
	public boolean isComplete() {
		return this.complete;
	}

	@Override
	public @Nullable ShutdownReport report() {
		Instant startedAt = this.startedAt;
		if (startedAt == null) {
			return null;
		}
		List<Phase> phases;
		synchronized (this.phases) {
			phases = List.copyOf(this.phases);
		}
		return new ShutdownReport(startedAt, elapsed().toMillis(), this.budget.total().toMillis(), this.complete, phases,
				this.requests, this.tasks, this.cleanups);
	}

	private static long toMillis(long nanos) {
		return TimeUnit.NANOSECONDS.toMillis(nanos);
	}

}
