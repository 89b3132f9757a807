package dev.graceful.shutdown.web;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.timeline.ShutdownLifecycle;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownRecording;
import dev.graceful.shutdown.timeline.ShutdownTimeline;

/**
 * The drain step. Brackets Spring Boot's own web server drain (Tomcat's pause, Netty's
 * {@code disposeNow}) without replacing it: {@link #startMarker()} runs in the lifecycle
 * phase just above the drain and this monitor in the phase just below, so together they
 * time the drain and count the requests it completed and aborted.
 * <p>
 * Just before the drain starts, the start marker caps the drain phase's timeout
 * ({@code spring.lifecycle.timeout-per-shutdown-phase}) by what is left of the budget
 * after the reserve of the steps that follow. Spring reads a phase's timeout when the
 * phase starts, so the cap reflects how long the delay actually took.
 * <p>
 * On Jetty, the start marker also lifts the connectors' shutdown idle timeout, which would
 * fail requests the drain waits for once their connection has been quiet for a second.
 * <p>
 * If the web server is not serving when the drain would start (it never started, or was
 * stopped by the application), Spring Boot's Reactor Netty drain never reports back and
 * the phase would wait out {@code spring.lifecycle.timeout-per-shutdown-phase}; the drain
 * is then skipped instead.
 */
public final class DrainMonitor extends ShutdownLifecycle {

	/** Name of the step in the report. */
	public static final String STEP = "drain";

	private static final Log logger = LogFactory.getLog(DrainMonitor.class);

	private static final long SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

	private final ShutdownRecorder progress;

	private final RequestTracker tracker;

	private final WebServerDrain server;

	private final Duration drainTimeout;

	private final Duration reserve;

	private final StartMarker startMarker;

	private final List<Runnable> preparations = new CopyOnWriteArrayList<>();

	private volatile long startNanos;

	private volatile long inFlightAtStart = -1;

	private volatile long startedAtStart;

	/**
	 * Create a new monitor.
	 * @param progress the record of the shutdown
	 * @param tracker the request tracker
	 * @param server the web server's drain
	 * @param drainTimeout Spring's own timeout of the drain phase
	 * @param reserve what the steps after the drain keep of the budget
	 */
	public DrainMonitor(ShutdownRecorder progress, RequestTracker tracker, WebServerDrain server, Duration drainTimeout,
			Duration reserve) {
		super(ShutdownTimeline.DRAIN_END, progress);
		this.progress = progress;
		this.tracker = tracker;
		this.server = server;
		this.drainTimeout = drainTimeout;
		this.reserve = reserve;
		this.startMarker = new StartMarker(progress);
	}

	/**
	 * Add what a web server needs done as its drain starts, just before Spring Boot's own
	 * drain (and timed as part of it): run on the thread that stops the application, and
	 * only when the server is serving.
	 * @param preparation the preparation, which should not take long
	 */
	public void beforeDrain(Runnable preparation) {
		this.preparations.add(preparation);
	}

	/**
	 * Return the lifecycle that marks the start of the drain.
	 * @return the start marker, to be registered as a bean of its own
	 */
	public StartMarker startMarker() {
		return this.startMarker;
	}

	private void drainStarted() {
		if (!this.server.isServing()) {
			long start = this.progress.stepStarted(STEP);
			try {
				this.server.skip();
			}
			finally {
				ShutdownRecording.stepEnded(this.progress, STEP, start, Outcome.SKIPPED, "web server is not serving");
			}
			logger.info("Graceful shutdown: drain skipped (web server is not serving)");
			return;
		}
		capByBudget();
		int lifted = this.server.prepare();
		if (lifted > 0 && logger.isDebugEnabled()) {
			logger.debug("Graceful shutdown: lifted Jetty's shutdown idle timeout on " + lifted + " connector(s)");
		}
		// In this order: a request that starts in between is then counted twice (completed
		// one too many at worst) rather than not at all. Before the step starts and before
		// the preparations: a request that ends as the step starts, or while the server is
		// prepared, is one the drain completed, not one it never saw.
		this.startedAtStart = this.tracker.startedCount();
		this.inFlightAtStart = this.tracker.inFlight();
		this.startNanos = this.progress.stepStarted(STEP);
		for (Runnable preparation : this.preparations) {
			try {
				preparation.run();
			}
			catch (RuntimeException ex) {
				logger.warn("Graceful shutdown: could not prepare the web server's drain", ex);
			}
		}
		logger.info("Graceful shutdown: drain started with " + this.inFlightAtStart + " request(s) in flight");
	}

	private void capByBudget() {
		Duration cap = this.progress.budget().cap(this.drainTimeout, this.reserve);
		if (this.server.setPhaseTimeout(cap) && cap.compareTo(this.drainTimeout) < 0) {
			logger.info("Graceful shutdown: drain capped at " + cap.toMillis() + " ms by graceful.shutdown.timeout");
		}
	}

	private void drainEnded() {
		if (this.inFlightAtStart < 0) {
			return;
		}
		awaitCountsSettled();
		long aborted = this.tracker.inFlight();
		// Every request in flight at the start or started since that is no longer in flight.
		// Not from the finished count: where the server counts its own requests, those that
		// started before the shutdown are counted nowhere else.
		long startedSince = this.tracker.startedCount() - this.startedAtStart;
		long completed = Math.max(0, this.inFlightAtStart + startedSince - aborted);
		ShutdownRecording.recordRequests(this.progress, new Requests(this.inFlightAtStart, completed, aborted));
		Outcome outcome = (aborted > 0) ? Outcome.TIMED_OUT : Outcome.COMPLETED;
		String detail = this.inFlightAtStart + " in flight at start, " + completed + " completed, " + aborted
				+ " aborted";
		Phase phase = ShutdownRecording.stepEnded(this.progress, STEP, this.startNanos, outcome, detail,
				new Counts(this.inFlightAtStart, completed, 0, aborted, 0));
		logger.info("Graceful shutdown: drain ended after " + phase.durationMs() + " ms (" + detail + ")");
	}

	/**
	 * Give the last requests' completion a moment to reach the counters: a server can
	 * close a finished request's connection, and so end its drain, on one thread just
	 * before the request is counted out on another.
	 */
	private void awaitCountsSettled() {
		long deadline = System.nanoTime() + SETTLE_NANOS;
		while (this.tracker.inFlight() > 0 && System.nanoTime() - deadline < 0) {
			LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
		}
	}

	@Override
	protected void onShutdown() {
		drainEnded();
	}

	/**
	 * Marks the start of the drain and caps it by the budget, in the lifecycle phase just
	 * above it.
	 */
	public final class StartMarker extends ShutdownLifecycle {

		private StartMarker(ShutdownRecorder progress) {
			super(ShutdownTimeline.DRAIN_START, progress);
		}

		@Override
		protected void onShutdown() {
			drainStarted();
		}

	}

}
