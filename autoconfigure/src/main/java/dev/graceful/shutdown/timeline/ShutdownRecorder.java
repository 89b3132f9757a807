package dev.graceful.shutdown.timeline;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.ShutdownReport.Tasks;

/**
 * The record of the shutdown as it happens: each step records itself here (its start,
 * what it is busy with, and through {@link ShutdownRecording} its end with outcome and
 * counts), and the report, the log summary, the meters and the Actuator endpoint read
 * from it. Users see it through the read-only {@link ShutdownProgress}.
 */
public final class ShutdownRecorder implements ShutdownProgress {

	private volatile boolean shuttingDown;

	volatile long startNanos;

	private volatile @Nullable Instant startedAt;

	volatile @Nullable String currentStep;

	private volatile long currentStepStartNanos;

	private volatile @Nullable String activity;

	private volatile boolean complete;

	private volatile long endNanos;

	volatile @Nullable Requests requests;

	final List<Phase> phases = new ArrayList<>();

	final List<Cleanup> cleanups = new CopyOnWriteArrayList<>();

	/** Each a {@link Runnable} or a {@link ShutdownLifecycle}, in the order added. */
	private final List<Object> beginListeners = new CopyOnWriteArrayList<>();

	volatile @Nullable Tasks tasks;

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
		for (Object listener : this.beginListeners) {
			if (listener instanceof ShutdownLifecycle step) {
				step.began();
			}
			else {
				((Runnable) listener).run();
			}
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
	 * Call a step's {@link ShutdownLifecycle#onBegin()} when the shutdown begins, on the
	 * thread that begins it, in turn with the listeners added with
	 * {@link #onBegin(Runnable)}. For the steps created at startup: a lambda would cost
	 * the startup a class generated for it.
	 * @param step the step; its {@code onBegin()} must not throw
	 */
	public void onBegin(ShutdownLifecycle step) {
		this.beginListeners.add(step);
	}

	/**
	 * Add a listener that hears about each step, cleanup and the end of the shutdown.
	 * @param listener the listener
	 */
	public void addListener(ShutdownListener listener) {
		this.listeners.addIfAbsent(listener);
	}

	void notifyListeners(Consumer<ShutdownListener> event) {
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

}
