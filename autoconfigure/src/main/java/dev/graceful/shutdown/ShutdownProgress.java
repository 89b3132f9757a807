package dev.graceful.shutdown;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * Where the application is in its shutdown, read-only: whether it has started, which
 * step is running, and the report as it stands. Inject it to show the shutdown in your
 * own health or status pages; the {@code gracefulshutdown} Actuator endpoint shows the
 * same.
 */
public interface ShutdownProgress {

	/**
	 * Return where the application is in its life.
	 * @return the state
	 */
	default State state() {
		if (!isShuttingDown()) {
			return State.RUNNING;
		}
		return isComplete() ? State.SHUT_DOWN : State.SHUTTING_DOWN;
	}

	/**
	 * Whether the shutdown has started. Cheap enough to call on every request.
	 * @return whether the shutdown has started
	 */
	boolean isShuttingDown();

	/**
	 * Whether every step of the shutdown has ended.
	 * @return whether the shutdown is complete
	 */
	boolean isComplete();

	/**
	 * Return the step of the timeline that is running now (steps of shutdown
	 * participants, which run beside the timeline, are not among them).
	 * @return the name of the running step, or {@code null} if none is
	 */
	@Nullable String currentStep();

	/**
	 * Return how long the shutdown has been under way.
	 * @return the elapsed time, zero if the shutdown has not started
	 */
	Duration elapsed();

	/**
	 * Return the report as it stands now: complete once the shutdown is.
	 * @return the report, or {@code null} if the shutdown has not started
	 */
	@Nullable ShutdownReport report();

	/**
	 * Where the application is in its life.
	 */
	enum State {

		/**
		 * Serving normally.
		 */
		RUNNING,

		/**
		 * The shutdown has started and is under way.
		 */
		SHUTTING_DOWN,

		/**
		 * Every step of the shutdown has ended.
		 */
		SHUT_DOWN

	}

}
