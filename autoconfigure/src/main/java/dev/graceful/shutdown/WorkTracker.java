package dev.graceful.shutdown;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

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
public interface WorkTracker {

	/**
	 * Start a unit of work. Close it when the work is done, typically with
	 * try-with-resources. The calling thread is the one interrupted on cancellation.
	 * @param name what the work is, for logs and the report
	 * @return the unit of work
	 */
	default Work start(String name) {
		return start(() -> name);
	}

	/**
	 * Start a unit of work whose name is computed only when it is needed.
	 * @param name supplies what the work is, for logs and the report
	 * @return the unit of work
	 */
	Work start(Supplier<String> name);

	/**
	 * Register a unit of work that another thread will run, such as a task handed to an
	 * executor that starts a thread for it. It is counted and awaited from now on, so that
	 * a shutdown cannot miss it between the hand-off and the moment its thread reaches
	 * it. That thread calls {@link Work#begin()} before running it, and closes it after.
	 * @param name supplies what the work is, for logs and the report
	 * @return the unit of work, not begun yet
	 */
	Work handOff(Supplier<String> name);

	/**
	 * Whether the shutdown has started: finish what is under way, start nothing long.
	 * @return whether the shutdown has started
	 */
	boolean isShutdownRequested();

	/**
	 * Whether the time for background work is up: stop now.
	 * @return whether the work has been cancelled
	 */
	boolean isCancelled();

	/**
	 * Return when the work will be cancelled, known once the shutdown is waiting for
	 * background work (after the HTTP drain).
	 * @return the deadline, or empty if not known yet
	 */
	Optional<Instant> deadline();

	/**
	 * Run a callback when the shutdown starts (at once if it already has). Callbacks run
	 * on the shutdown thread; one that throws is logged and does not stop the others.
	 * @param callback what to run
	 */
	void onShutdown(Runnable callback);

	/**
	 * Run a callback when the work is cancelled (at once if it already is).
	 * @param callback what to run
	 */
	void onCancel(Runnable callback);

	/**
	 * Block until the shutdown starts or the timeout elapses.
	 * @param timeout how long to wait at most
	 * @return whether the shutdown has started
	 * @throws InterruptedException if interrupted while waiting
	 */
	boolean awaitShutdown(Duration timeout) throws InterruptedException;

	/**
	 * A unit of background work. Closing it more than once has no further effect.
	 */
	interface Work extends AutoCloseable {

		/**
		 * Begin a {@link WorkTracker#handOff(Supplier) handed-off} unit on the calling
		 * thread, which is then the one interrupted on cancellation. A unit reached only
		 * after the work was cancelled is dropped: it must not run, and is counted as never
		 * started.
		 * @return whether to run the work; {@code false} if it was dropped
		 * @throws IllegalStateException if the unit has begun already
		 */
		boolean begin();

		/**
		 * Whether the work has begun: started with {@link WorkTracker#start(String)}, or
		 * handed off and reached by its thread before the work was cancelled.
		 * @return whether the work has begun
		 */
		boolean hasBegun();

		/**
		 * Return what the work is.
		 * @return the name
		 */
		String name();

		/**
		 * Return the thread that runs the work.
		 * @return the thread, or {@code null} for a handed-off unit that has not begun
		 */
		@Nullable Thread thread();

		/**
		 * Return how long the work has been running, or for a handed-off unit that has
		 * not begun, how long it has been waiting for its thread.
		 * @return the running time
		 */
		Duration runningFor();

		/**
		 * Whether the work should stop: the shutdown has cancelled it.
		 * @return whether to stop now
		 */
		boolean shouldStop();

		/**
		 * End the unit of work.
		 */
		@Override
		void close();

	}

}
