package dev.graceful.shutdown;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

/**
 * Tracks background work so that the shutdown waits for it: the Java shape of Go's
 * {@code sync.WaitGroup} ({@link #start(String)} / {@link Work#close()}) and
 * {@code context.Context} ({@link #isShutdownRequested()}, {@link #deadline()},
 * {@link #isCancelled()}, callbacks).
 * <pre class="code">
 * try (WorkTracker.Work work = workTracker.start("nightly-import")) {
 *     while (hasMore() &amp;&amp; !work.shouldStop()) {
 *         importNextBatch();
 *     }
 * }
 * </pre>
 * After the HTTP drain the shutdown waits for every started unit to close, up to
 * {@code graceful.shutdown.tasks.timeout}. Then it cancels: {@link #isCancelled()} turns
 * true, the cancel callbacks run, the threads that started the remaining units are
 * interrupted, and whatever is still running after a short grace is abandoned and named
 * in the log and the report.
 */
public final class WorkTracker {

	private static final Log logger = LogFactory.getLog(WorkTracker.class);

	private final ShutdownProgress progress;

	private final Set<Work> active = ConcurrentHashMap.newKeySet();

	private final LongAdder finished = new LongAdder();

	private final LongAdder dropped = new LongAdder();

	private final Object monitor = new Object();

	private final List<Runnable> shutdownCallbacks = new CopyOnWriteArrayList<>();

	private final List<Runnable> cancelCallbacks = new CopyOnWriteArrayList<>();

	private final AtomicBoolean shutdownNotified = new AtomicBoolean();

	private volatile boolean cancelled;

	private volatile @Nullable Instant deadline;

	public WorkTracker(ShutdownProgress progress) {
		this.progress = progress;
		progress.onBegin(this::notifyShutdown);
	}

	/**
	 * Start a unit of work. Close it when the work is done, typically with
	 * try-with-resources. The calling thread is the one interrupted on cancellation.
	 * @param name what the work is, for logs and the report
	 * @return the unit of work
	 */
	public Work start(String name) {
		return start(() -> name);
	}

	/**
	 * Start a unit of work whose name is computed only when it is needed.
	 * @param name supplies what the work is, for logs and the report
	 * @return the unit of work
	 */
	public Work start(Supplier<String> name) {
		Work work = new Work(this, name, Thread.currentThread(), Work.RUNNING);
		this.active.add(work);
		return work;
	}

	/**
	 * Register a unit of work that another thread will run, such as a task handed to an
	 * executor that starts a thread for it. It is counted and awaited from now on, so that
	 * a shutdown cannot miss it between the hand-off and the moment its thread reaches
	 * it. That thread calls {@link Work#begin()} before running it, and closes it after.
	 * @param name supplies what the work is, for logs and the report
	 * @return the unit of work, not begun yet
	 */
	public Work handOff(Supplier<String> name) {
		Work work = new Work(this, name, null, Work.HANDED_OFF);
		this.active.add(work);
		return work;
	}

	private void finished(Work work) {
		if (work.end()) {
			this.finished.increment();
		}
		else if (work.drop()) {
			// Handed off, and closed or reached after the cancel without having begun.
			this.dropped.increment();
		}
		// Counted before it leaves the set: whoever sees the set empty sees the count.
		if (this.active.remove(work) && this.active.isEmpty()) {
			synchronized (this.monitor) {
				this.monitor.notifyAll();
			}
		}
	}

	/**
	 * Whether the shutdown has started: finish what is under way, start nothing long.
	 * @return whether the shutdown has started
	 */
	public boolean isShutdownRequested() {
		return this.progress.isShuttingDown();
	}

	/**
	 * Whether the time for background work is up: stop now.
	 * @return whether the work has been cancelled
	 */
	public boolean isCancelled() {
		return this.cancelled;
	}

	/**
	 * Return when the work will be cancelled, known once the shutdown is waiting for
	 * background work (after the HTTP drain).
	 * @return the deadline, or empty if not known yet
	 */
	public Optional<Instant> deadline() {
		return Optional.ofNullable(this.deadline);
	}

	/**
	 * Run a callback when the shutdown starts (at once if it already has). Callbacks run
	 * on the shutdown thread; one that throws is logged and does not stop the others.
	 * @param callback what to run
	 */
	public void onShutdown(Runnable callback) {
		this.shutdownCallbacks.add(callback);
		if (this.shutdownNotified.get() && this.shutdownCallbacks.remove(callback)) {
			runCallback(callback);
		}
	}

	/**
	 * Run a callback when the work is cancelled (at once if it already is).
	 * @param callback what to run
	 */
	public void onCancel(Runnable callback) {
		this.cancelCallbacks.add(callback);
		if (this.cancelled && this.cancelCallbacks.remove(callback)) {
			runCallback(callback);
		}
	}

	/**
	 * Block until the shutdown starts or the timeout elapses.
	 * @param timeout how long to wait at most
	 * @return whether the shutdown has started
	 * @throws InterruptedException if interrupted while waiting
	 */
	public boolean awaitShutdown(Duration timeout) throws InterruptedException {
		long deadline = System.nanoTime() + timeout.toNanos();
		synchronized (this.monitor) {
			while (!isShutdownRequested()) {
				long remaining = deadline - System.nanoTime();
				if (remaining <= 0) {
					return false;
				}
				TimeUnit.NANOSECONDS.timedWait(this.monitor, remaining);
			}
		}
		return true;
	}

	/**
	 * Return the units of work that are running now.
	 * @return the active units
	 */
	public List<Work> active() {
		return new ArrayList<>(this.active);
	}

	/**
	 * Return how many units of work have finished since the application started.
	 * @return the number of finished units
	 */
	public long finishedCount() {
		return this.finished.sum();
	}

	private void notifyShutdown() {
		if (this.shutdownNotified.compareAndSet(false, true)) {
			synchronized (this.monitor) {
				this.monitor.notifyAll();
			}
			runCallbacks(this.shutdownCallbacks);
		}
	}

	/**
	 * Return how many handed-off units of work were dropped without running: their
	 * thread reached them only after the work was cancelled.
	 * @return the number of dropped units
	 * @see #handOff(Supplier)
	 */
	public long droppedCount() {
		return this.dropped.sum();
	}

	/**
	 * Count every handed-off unit that has not begun as dropped: once the work is
	 * cancelled, its thread will drop it when it gets there. Called by the shutdown after
	 * {@link #cancel()}; each unit is counted once, here or when it is dropped.
	 * @return the number of dropped units, now including those
	 */
	public long dropNotBegun() {
		for (Work work : this.active) {
			if (work.drop()) {
				this.dropped.increment();
			}
		}
		return this.dropped.sum();
	}

	/**
	 * Set the deadline after which the work is cancelled. Called by the shutdown.
	 * @param deadline the deadline
	 */
	public void setDeadline(Instant deadline) {
		this.deadline = deadline;
	}

	/**
	 * Wait until no unit of work is active.
	 * @param deadlineNanos the {@link System#nanoTime()} to wait until at most
	 * @return whether no unit is active
	 * @throws InterruptedException if interrupted while waiting
	 */
	public boolean awaitIdle(long deadlineNanos) throws InterruptedException {
		synchronized (this.monitor) {
			while (!this.active.isEmpty()) {
				long remaining = deadlineNanos - System.nanoTime();
				if (remaining <= 0) {
					return false;
				}
				TimeUnit.NANOSECONDS.timedWait(this.monitor, remaining);
			}
		}
		return true;
	}

	/**
	 * Cancel the remaining work: {@link #isCancelled()} turns true, the cancel callbacks
	 * run and the threads of the active units are interrupted. Called by the shutdown.
	 */
	public void cancel() {
		if (this.cancelled) {
			return;
		}
		this.cancelled = true;
		runCallbacks(this.cancelCallbacks);
		for (Work work : this.active) {
			Thread thread = work.thread;
			if (thread != null) {
				thread.interrupt();
			}
		}
	}

	private void runCallbacks(List<Runnable> callbacks) {
		for (Runnable callback : callbacks) {
			if (callbacks.remove(callback)) {
				runCallback(callback);
			}
		}
	}

	private static void runCallback(Runnable callback) {
		try {
			callback.run();
		}
		catch (Throwable ex) {
			logger.warn("Shutdown callback " + callback + " failed", ex);
		}
	}

	/**
	 * A unit of background work. Closing it more than once has no further effect.
	 */
	public static final class Work implements AutoCloseable {

		private static final int HANDED_OFF = 0;

		private static final int RUNNING = 1;

		private static final int ENDED = 2;

		private static final int DROPPED = 3;

		private final WorkTracker tracker;

		private final Supplier<String> name;

		private final AtomicInteger state;

		private volatile @Nullable Thread thread;

		private volatile long startNanos = System.nanoTime();

		private Work(WorkTracker tracker, Supplier<String> name, @Nullable Thread thread, int state) {
			this.tracker = tracker;
			this.name = name;
			this.thread = thread;
			this.state = new AtomicInteger(state);
		}

		/**
		 * Begin a {@link WorkTracker#handOff(Supplier) handed-off} unit on the calling
		 * thread, which is then the one interrupted on cancellation. A unit reached only
		 * after the work was cancelled is dropped: it must not run, and is counted as never
		 * started.
		 * @return whether to run the work; {@code false} if it was dropped
		 * @throws IllegalStateException if the unit has begun already
		 */
		public boolean begin() {
			if (hasBegun()) {
				throw new IllegalStateException("Work '" + name() + "' has already begun");
			}
			this.startNanos = System.nanoTime();
			// Published before cancellation is checked: a cancel that comes after the check
			// sees the thread and interrupts it.
			this.thread = Thread.currentThread();
			if (!this.tracker.isCancelled() && this.state.compareAndSet(HANDED_OFF, RUNNING)) {
				return true;
			}
			this.tracker.finished(this);
			return false;
		}

		private boolean end() {
			return this.state.compareAndSet(RUNNING, ENDED);
		}

		private boolean drop() {
			return this.state.compareAndSet(HANDED_OFF, DROPPED);
		}

		/**
		 * Whether the work has begun: started with {@link WorkTracker#start(String)}, or
		 * handed off and reached by its thread before the work was cancelled.
		 * @return whether the work has begun
		 */
		public boolean hasBegun() {
			int state = this.state.get();
			return state == RUNNING || state == ENDED;
		}

		/**
		 * Return what the work is.
		 * @return the name
		 */
		public String name() {
			return this.name.get();
		}

		/**
		 * Return the thread that runs the work.
		 * @return the thread, or {@code null} for a handed-off unit that has not begun
		 */
		public @Nullable Thread thread() {
			return hasBegun() ? this.thread : null;
		}

		/**
		 * Return how long the work has been running, or for a handed-off unit that has
		 * not begun, how long it has been waiting for its thread.
		 * @return the running time
		 */
		public Duration runningFor() {
			return Duration.ofNanos(System.nanoTime() - this.startNanos);
		}

		/**
		 * Whether the work should stop: the shutdown has cancelled it.
		 * @return whether to stop now
		 */
		public boolean shouldStop() {
			return this.tracker.isCancelled();
		}

		@Override
		public void close() {
			this.tracker.finished(this);
		}

	}

}
