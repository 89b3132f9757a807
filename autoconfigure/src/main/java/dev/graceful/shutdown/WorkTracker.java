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
		Work work = new Work(this, name, Thread.currentThread(), System.nanoTime());
		this.active.add(work);
		return work;
	}

	private void finished(Work work) {
		if (this.active.remove(work)) {
			this.finished.increment();
			if (this.active.isEmpty()) {
				synchronized (this.monitor) {
					this.monitor.notifyAll();
				}
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
			work.thread.interrupt();
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

		private final WorkTracker tracker;

		private final Supplier<String> name;

		private final Thread thread;

		private final long startNanos;

		private Work(WorkTracker tracker, Supplier<String> name, Thread thread, long startNanos) {
			this.tracker = tracker;
			this.name = name;
			this.thread = thread;
			this.startNanos = startNanos;
		}

		/**
		 * Return what the work is.
		 * @return the name
		 */
		public String name() {
			return this.name.get();
		}

		/**
		 * Return the thread that started the work.
		 * @return the thread
		 */
		public Thread thread() {
			return this.thread;
		}

		/**
		 * Return how long the work has been running.
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
