package dev.graceful.shutdown.delay;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.timeline.ShutdownLifecycle;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownRecording;
import dev.graceful.shutdown.timeline.ShutdownTimeline;

/**
 * The lame-duck delay: once the shutdown has started, keeps the web server serving
 * normally (readiness is already down) so that load balancers notice and stop routing
 * before the server stops accepting connections. Ends after the configured delay, or
 * earlier once no new request has arrived for the quiet period.
 * <p>
 * Runs in a lifecycle phase just above Spring Boot's web server graceful shutdown, so
 * the drain starts only when the delay is over.
 */
public final class LameDuckDelay extends ShutdownLifecycle {

	/** Name of the step in the report. */
	public static final String STEP = "delay";

	private static final Log logger = LogFactory.getLog(LameDuckDelay.class);

	private final ShutdownRecorder progress;

	private final Duration delay;

	private final @Nullable Duration quietPeriod;

	private final LongSupplier lastArrivalNanos;

	private volatile long startedNanos;

	/**
	 * Create a new delay.
	 * @param progress the shutdown progress
	 * @param delay how long to keep serving at most
	 * @param quietPeriod end the delay once no request has arrived for this long, or
	 * {@code null} to always wait the full delay
	 * @param lastArrivalNanos the {@link System#nanoTime()} of the latest request
	 * arrival, or {@code 0} if none arrived since the shutdown started
	 */
	public LameDuckDelay(ShutdownRecorder progress, Duration delay, @Nullable Duration quietPeriod,
			LongSupplier lastArrivalNanos) {
		super(ShutdownTimeline.DELAY, progress);
		this.progress = progress;
		this.delay = delay;
		this.quietPeriod = quietPeriod;
		this.lastArrivalNanos = lastArrivalNanos;
	}

	@Override
	protected void onStart() {
		this.startedNanos = System.nanoTime();
	}

	@Override
	protected void onShutdown() {
		long start = this.progress.stepStarted(STEP);
		if (this.delay.isZero()) {
			ShutdownRecording.stepEnded(this.progress, STEP, start, Outcome.SKIPPED, "delay is zero");
			logger.info("Graceful shutdown: delay skipped (graceful.shutdown.delay is zero)");
			return;
		}
		// The budget's clock starts when the JVM starts exiting or the context closing.
		if (this.progress.budget().startNanos() - this.startedNanos < 0) {
			// The application was never ready: no balancer routes here, nothing to wait for.
			ShutdownRecording.stepEnded(this.progress, STEP, start, Outcome.SKIPPED, "shutdown began during startup");
			logger.info("Graceful shutdown: delay skipped (the shutdown began while the application was starting)");
			return;
		}
		logger.info("Graceful shutdown: delay started, serving for up to " + this.delay.toMillis() + " ms"
				+ ((this.quietPeriod != null) ? " or until quiet for " + this.quietPeriod.toMillis() + " ms" : ""));
		serve(start);
	}

	/**
	 * Serves until the delay ends, then records how it ended.
	 */
	private void serve(long start) {
		long deadline = start + this.delay.toNanos();
		long shutdownStart = this.progress.startNanos();
		while (true) {
			long now = System.nanoTime();
			if (now - deadline >= 0) {
				ended(start, false, "served for the full delay");
				return;
			}
			long wakeAt = deadline;
			if (this.quietPeriod != null) {
				long last = this.lastArrivalNanos.getAsLong();
				long quietSince = (last != 0 && last - shutdownStart > 0) ? last : shutdownStart;
				long quietEnds = quietSince + this.quietPeriod.toNanos();
				if (now - quietEnds >= 0) {
					ended(start, true, "no new request for " + this.quietPeriod.toMillis() + " ms");
					return;
				}
				if (quietEnds - wakeAt < 0) {
					wakeAt = quietEnds;
				}
			}
			LockSupport.parkNanos(this, wakeAt - now);
			if (Thread.currentThread().isInterrupted()) {
				ended(start, true, "interrupted");
				return;
			}
		}
	}

	/**
	 * Records the delay's end. Whether it ended early rather than the outcome itself: a
	 * method of this bean that named the report's types would make Spring's reflection
	 * over the class load them at startup.
	 */
	private void ended(long start, boolean early, String detail) {
		var recorded = ShutdownRecording.stepEnded(this.progress, STEP, start,
				early ? Outcome.ENDED_EARLY : Outcome.COMPLETED, detail);
		logger.info("Graceful shutdown: delay ended after " + recorded.durationMs() + " ms (" + detail + ")");
	}

}
