package dev.graceful.shutdown.cleanup;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownReport.Cleanup;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.cleanup.CleanupRegistry.Registration;
import dev.graceful.shutdown.timeline.ShutdownLifecycle;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownRecording;
import dev.graceful.shutdown.timeline.ShutdownTimeline;

/**
 * Runs the cleanups once the shutdown has started, in a lifecycle phase after the HTTP
 * drain and the background work and before Spring destroys beans. Each cleanup runs on a
 * thread of its own so that it can be bounded: one that throws is recorded as
 * {@link Outcome#FAILED}, one that outlives its timeout is interrupted and recorded as
 * {@link Outcome#TIMED_OUT} (it is left behind on a daemon thread; a cleanup that called
 * {@code System.exit} during the shutdown ends up there too, instead of blocking it
 * forever), and the next cleanup runs either way.
 */
public final class CleanupRunner extends ShutdownLifecycle {

	/** Name of the step in the report. */
	public static final String STEP = "cleanup";

	private static final Log logger = LogFactory.getLog(CleanupRunner.class);

	private static final long INTERRUPT_GRACE_MILLIS = 100;

	private final ShutdownRecorder progress;

	private final CleanupRegistry cleanups;

	public CleanupRunner(ShutdownRecorder progress, CleanupRegistry cleanups) {
		super(ShutdownTimeline.CLEANUP, progress);
		this.progress = progress;
		this.cleanups = cleanups;
	}

	@Override
	protected void onShutdown() {
		List<Registration> registrations = this.cleanups.claim();
		long start = this.progress.stepStarted(STEP);
		if (registrations.isEmpty()) {
			ShutdownRecording.stepEnded(this.progress, STEP, start, Outcome.SKIPPED, "no cleanups");
			return;
		}
		logger.info("Graceful shutdown: cleanup started, " + registrations.size() + " cleanup(s) to run");
		int completed = 0;
		int failed = 0;
		int timedOut = 0;
		int skipped = 0;
		for (Registration registration : registrations) {
			this.progress.setActivity("cleanup '" + registration.name() + "'");
			Cleanup cleanup = run(registration.name(), registration.order(), registration.timeout(),
					registration.action());
			ShutdownRecording.recordCleanup(this.progress, cleanup);
			switch (cleanup.outcome()) {
				case COMPLETED -> completed++;
				case TIMED_OUT -> timedOut++;
				case SKIPPED -> skipped++;
				default -> failed++;
			}
		}
		this.progress.setActivity(null);
		Outcome outcome = (timedOut > 0) ? Outcome.TIMED_OUT : (failed > 0) ? Outcome.FAILED : Outcome.COMPLETED;
		String detail = completed + " completed, " + failed + " failed, " + timedOut + " timed out"
				+ ((skipped > 0) ? ", " + skipped + " not run (budget spent)" : "");
		var recorded = ShutdownRecording.stepEnded(this.progress, STEP, start, outcome, detail);
		logger.info("Graceful shutdown: cleanup ended after " + recorded.durationMs() + " ms (" + detail + ")");
	}

	/**
	 * Runs one cleanup. It takes the registration's parts rather than the registration:
	 * Spring's reflection over this bean's methods then does not load the registration's
	 * class in an application without cleanups.
	 */
	private Cleanup run(String name, int order, Duration configuredTimeout, ShutdownCleanups.Action action) {
		Duration timeout = this.progress.budget().cap(configuredTimeout, Duration.ZERO);
		if (timeout.isZero()) {
			String error = "not run: the shutdown budget (graceful.shutdown.timeout) is spent";
			logger.warn("Graceful shutdown: cleanup '" + name + "' " + error);
			return new Cleanup(name, order, 0, Outcome.SKIPPED, error);
		}
		AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
		Thread thread = new Thread(() -> {
			try {
				action.run();
			}
			catch (Throwable ex) {
				failure.set(ex);
			}
		}, "graceful-shutdown-cleanup");
		// Left behind if it never ends; must not keep the JVM alive.
		thread.setDaemon(true);
		long start = System.nanoTime();
		thread.start();
		boolean finished = join(thread, timeout.toMillis());
		if (!finished) {
			boolean exiting = isCallingSystemExit(thread);
			thread.interrupt();
			join(thread, INTERRUPT_GRACE_MILLIS);
			long duration = elapsedMillis(start);
			String error = "did not finish within " + timeout.toMillis() + " ms"
					+ (exiting ? " (it called System.exit, which blocks during shutdown)" : "")
					+ (thread.isAlive() ? "; interrupted and abandoned" : "; ended after interrupt");
			logger.warn("Graceful shutdown: cleanup '" + name + "' timed out after " + duration + " ms: " + error);
			return new Cleanup(name, order, duration, Outcome.TIMED_OUT, error);
		}
		long duration = elapsedMillis(start);
		Throwable ex = failure.get();
		if (ex != null) {
			logger.warn("Graceful shutdown: cleanup '" + name + "' failed after " + duration + " ms", ex);
			return new Cleanup(name, order, duration, Outcome.FAILED, ex.toString());
		}
		logger.info("Graceful shutdown: cleanup '" + name + "' completed in " + duration + " ms");
		return new Cleanup(name, order, duration, Outcome.COMPLETED, null);
	}

	private static boolean join(Thread thread, long millis) {
		try {
			thread.join(Math.max(1, millis));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		return !thread.isAlive();
	}

	private static boolean isCallingSystemExit(Thread thread) {
		for (StackTraceElement element : thread.getStackTrace()) {
			if ("java.lang.Shutdown".equals(element.getClassName())
					|| ("java.lang.Runtime".equals(element.getClassName()) && "exit".equals(element.getMethodName()))) {
				return true;
			}
		}
		return false;
	}

	private static long elapsedMillis(long startNanos) {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
	}

}
