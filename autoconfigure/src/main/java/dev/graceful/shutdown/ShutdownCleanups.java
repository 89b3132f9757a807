package dev.graceful.shutdown;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * Registers cleanups from code, beside {@link OnShutdown @OnShutdown} methods. Same rules
 * for both: ascending order, equal orders in reverse order of registration, each isolated
 * and bounded by its timeout, each run at most once.
 */
public interface ShutdownCleanups {

	/**
	 * Register a cleanup with order {@code 0} and the default timeout.
	 * @param name the name of the cleanup in logs and the report
	 * @param action what to do
	 */
	default void register(String name, Action action) {
		register(name, 0, null, action);
	}

	/**
	 * Register a cleanup.
	 * @param name the name of the cleanup in logs and the report
	 * @param order lower values run first; equal orders run in reverse order of
	 * registration
	 * @param timeout how long it may run, or {@code null} for
	 * {@code graceful.shutdown.cleanup.timeout}
	 * @param action what to do
	 * @throws IllegalStateException if the cleanups have already run
	 */
	void register(String name, int order, @Nullable Duration timeout, Action action);

	/**
	 * A cleanup action. May throw anything; it is caught and recorded.
	 */
	@FunctionalInterface
	interface Action {

		/**
		 * Clean up.
		 * @throws Exception on failure
		 */
		void run() throws Exception;

	}

}
