package dev.graceful.shutdown;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.ShutdownReport.Tasks;

/**
 * Where the application is in its shutdown: whether it has started, which step is
 * running, and what each finished step recorded. Each step of the timeline records
 * itself here; the report, the log summary and the Actuator endpoint read from it.
 */
public final class ShutdownProgress {

	private volatile boolean shuttingDown;

	private volatile long startNanos;

	private volatile @Nullable Instant startedAt;

	private volatile @Nullable String currentStep;

	private volatile long currentStepStartNanos;

	private volatile @Nullable String activity;

	private volatile boolean complete;

	private volatile long endNanos;

	private volatile @Nullable Requests requests;

	private final List<Phase> phases = new CopyOnWriteArrayList<>();

	private final List<Cleanup> cleanups = new CopyOnWriteArrayList<>();

	private final List<Runnable> beginListeners = new CopyOnWriteArrayList<>();

	private volatile @Nullable Tasks tasks;

	private final CopyOnWriteArrayList<ShutdownListener> listeners = new CopyOnWriteArrayList<>();

	private volatile long budgetMillis;

	/**
	 * Mark the start of the shutdown and run the listeners added with
	 * {@link #onBegin(Runnable)}. Only the first call has an effect.
	 * @return {@code true} if this call started the shutdown
	 */
	public boolean begin() {
		synchronized (this) {
			if (this.shuttingDown) {
				return false;
			}
			this.startNanos = System.nanoTime();
			this.startedAt = Instant.now();
			this.shuttingDown = true;
		}
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

	/**
	 * Set the overall budget, reported with the shutdown.
	 * @param budgetMillis the budget in milliseconds
	 */
	public void setBudgetMillis(long budgetMillis) {
		this.budgetMillis = budgetMillis;
	}

	private void notifyListeners(Consumer<ShutdownListener> event) {
		for (ShutdownListener listener : this.listeners) {
			try {
				event.accept(listener);
			}
			catch (Throwable ex) {
				LogFactory.getLog(ShutdownProgress.class).warn("Shutdown listener " + listener + " failed", ex);
			}
		}
	}

	/**
	 * Whether the shutdown has started. Cheap enough to call on every request.
	 * @return whether the shutdown has started
	 */
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

	/**
	 * Return the step that is running now.
	 * @return the name of the running step, or {@code null} if none is
	 */
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

	/**
	 * Return how long the shutdown has been under way.
	 * @return the elapsed time, zero if the shutdown has not started
	 */
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
		long now = System.nanoTime();
		Phase phase = new Phase(name, toMillis(stepStartNanos - this.startNanos), toMillis(now - stepStartNanos),
				outcome, detail);
		this.phases.add(phase);
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

	/**
	 * Whether every step has ended.
	 * @return whether the shutdown is complete
	 */
	public boolean isComplete() {
		return this.complete;
	}

	/**
	 * Return the report as it stands now.
	 * @return the report, or {@code null} if the shutdown has not started
	 */
	public @Nullable ShutdownReport report() {
		Instant startedAt = this.startedAt;
		if (startedAt == null) {
			return null;
		}
		return new ShutdownReport(startedAt, elapsed().toMillis(), this.budgetMillis, this.complete, this.phases,
				this.requests, this.tasks, this.cleanups);
	}

	private static long toMillis(long nanos) {
		return TimeUnit.NANOSECONDS.toMillis(nanos);
	}

}
