package dev.graceful.shutdown;

import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Phase;

/**
 * Hears about the shutdown as it happens. Beans of this type are called on the shutdown
 * thread, in order; one that throws is logged and does not stop the shutdown.
 */
public interface ShutdownListener {

	/**
	 * A step has ended.
	 * @param phase the recorded step
	 */
	default void stepEnded(Phase phase) {
	}

	/**
	 * A cleanup has ended.
	 * @param cleanup the recorded cleanup
	 */
	default void cleanupEnded(Cleanup cleanup) {
	}

	/**
	 * The last step has ended.
	 * @param report the final report
	 */
	default void shutdownCompleted(ShutdownReport report) {
	}

}
