package dev.graceful.shutdown.tasks;

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

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * The {@link WorkTracker} of the application: the units of background work in flight,
 * and what the tasks step ({@link TaskDrain}) needs to wait for them, cancel them and
 * count them.
 */
public final class WorkRegistry implements WorkTracker {

	private static final Log logger = LogFactory.getLog(WorkRegistry.class);

	private final ShutdownRecorder progress;

	private final Set<TrackedWork> active = ConcurrentHashMap.newKeySet();

	private final LongAdder finished = new LongAdder();

	private final LongAdder dropped = new LongAdder();

	private final Object monitor = new Object();

	private final List<Runnable> shutdownCallbacks = new CopyOnWriteArrayList<>();

	private final List<Runnable> cancelCallbacks = new CopyOnWriteArrayList<>();

	private final AtomicBoolean shutdownNotified = new AtomicBoolean();

	private volatile boolean cancelled;

	private volatile @Nullable Instant deadline;

	public WorkRegistry(ShutdownRecorder progress) {
		this.progress = progress;
		progress.onBegin(this::notifyShutdown);
	}

	@Override
	public Work start(Supplier<String> name) {
		TrackedWork work = new TrackedWork(this, name, Thread.currentThread(), TrackedWork.RUNNING);
		this.active.add(work);
		return work;
	}

	@Override
	public Work handOff(Supplier<String> name) {
		TrackedWork work = new TrackedWork(this, name, null, TrackedWork.HANDED_OFF);
		this.active.add(work);
		return work;
	}

	@Override
	public boolean isShutdownRequested() {
		return this.progress.isShuttingDown();
	}

	@Override
	public boolean isCancelled() {
		return this.cancelled;
	}

	@Override
	public Optional<Instant> deadline() {
		return Optional.ofNullable(this.deadline);
	}

	@Override
	public void onShutdown(Runnable callback) {
		this.shutdownCallbacks.add(callback);
		if (this.shutdownNotified.get() && this.shutdownCallbacks.remove(callback)) {
			runCallback(callback);
		}
	}

	@Override
	public void onCancel(Runnable callback) {
		this.cancelCallbacks.add(callback);
		if (this.cancelled && this.cancelCallbacks.remove(callback)) {
			runCallback(callback);
		}
	}

	@Override
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
		for (TrackedWork work : this.active) {
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
		for (TrackedWork work : this.active) {
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
	static final class TrackedWork implements Work {

		private static final int HANDED_OFF = 0;

		private static final int RUNNING = 1;

		private static final int ENDED = 2;

		private static final int DROPPED = 3;

		private final WorkRegistry tracker;

		private final Supplier<String> name;

		private final AtomicInteger state;

		private volatile @Nullable Thread thread;

		private volatile long startNanos = System.nanoTime();

		private TrackedWork(WorkRegistry tracker, Supplier<String> name, @Nullable Thread thread, int state) {
			this.tracker = tracker;
			this.name = name;
			this.thread = thread;
			this.state = new AtomicInteger(state);
		}

		@Override
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
			finished();
			return false;
		}

		private boolean end() {
			return this.state.compareAndSet(RUNNING, ENDED);
		}

		private boolean drop() {
			return this.state.compareAndSet(HANDED_OFF, DROPPED);
		}

		@Override
		public boolean hasBegun() {
			int state = this.state.get();
			return state == RUNNING || state == ENDED;
		}

		@Override
		public String name() {
			return this.name.get();
		}

		@Override
		public @Nullable Thread thread() {
			return hasBegun() ? this.thread : null;
		}

		@Override
		public Duration runningFor() {
			return Duration.ofNanos(System.nanoTime() - this.startNanos);
		}

		@Override
		public boolean shouldStop() {
			return this.tracker.isCancelled();
		}

		@Override
		public void close() {
			finished();
		}

		/**
		 * Count this work as ended or dropped, and take it out of the registry. Here rather
		 * than in the registry: a method of the registry that named this type would make
		 * Spring's reflection over the registry's bean class load it at startup.
		 */
		private void finished() {
			WorkRegistry registry = this.tracker;
			if (end()) {
				registry.finished.increment();
			}
			else if (drop()) {
				// Handed off, and closed or reached after the cancel without having begun.
				registry.dropped.increment();
			}
			// Counted before it leaves the set: whoever sees the set empty sees the count.
			if (registry.active.remove(this) && registry.active.isEmpty()) {
				synchronized (registry.monitor) {
					registry.monitor.notifyAll();
				}
			}
		}

	}

}
