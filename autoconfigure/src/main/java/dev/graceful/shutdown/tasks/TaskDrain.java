package dev.graceful.shutdown.tasks;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.scheduling.concurrent.ExecutorConfigurationSupport;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;

import dev.graceful.shutdown.ShutdownReport.Abandoned;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Tasks;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.timeline.ShutdownLifecycle;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownRecording;
import dev.graceful.shutdown.timeline.ShutdownTimeline;

/**
 * The tasks step, after the HTTP drain: stops the tracked executors from accepting new
 * tasks, waits for their queued and running tasks and for every tracked unit of work up
 * to the timeout, then cancels (interrupts) what is left, waits a short grace, and names
 * whatever is still running as abandoned.
 */
public final class TaskDrain extends ShutdownLifecycle {

	/** Name of the step in the report. */
	public static final String STEP = "tasks";

	private static final Log logger = LogFactory.getLog(TaskDrain.class);

	private final ShutdownRecorder progress;

	private final WorkRegistry tracker;

	private final ObjectProvider<ExecutorTracking> executors;

	private final Duration timeout;

	private final Duration cancelGrace;

	private final Duration reserve;

	private volatile long finishedAtShutdown;

	/**
	 * Create a new step.
	 * @param progress the record of the shutdown
	 * @param tracker the work tracker
	 * @param executors the tracked executors, looked up when the step runs; none if
	 * executors are not tracked
	 * @param timeout how long to wait for the work before cancelling it
	 * @param cancelGrace how long to wait after cancelling before abandoning
	 * @param reserve what the cleanups need of the budget after this step
	 */
	public TaskDrain(ShutdownRecorder progress, WorkRegistry tracker, ObjectProvider<ExecutorTracking> executors,
			Duration timeout, Duration cancelGrace, Duration reserve) {
		super(ShutdownTimeline.TASKS, progress);
		this.progress = progress;
		this.tracker = tracker;
		this.executors = executors;
		this.timeout = timeout;
		this.cancelGrace = cancelGrace;
		this.reserve = reserve;
		progress.onBegin(this);
	}

	@Override
	protected void onBegin() {
		this.finishedAtShutdown = this.tracker.finishedCount();
	}

	@Override
	protected void onShutdown() {
		Duration timeout = this.progress.budget().cap(this.timeout, this.reserve);
		long start = this.progress.stepStarted(STEP);
		this.tracker.setDeadline(Instant.now().plus(timeout));
		ExecutorTracking tracking = this.executors.getIfAvailable();
		Map<String, ExecutorConfigurationSupport> executors = (tracking != null) ? tracking.executors() : Map.of();
		int executorCount = executors.size() + ((tracking != null) ? tracking.threadPerTaskExecutors().size() : 0);
		logger.info("Graceful shutdown: tasks started, waiting up to " + timeout.toMillis() + " ms for "
				+ this.tracker.active().size() + " tracked unit(s) of work and " + executorCount + " executor(s)");
		// From now on the executors reject new tasks; queued ones still run.
		executors.values().forEach(ExecutorConfigurationSupport::initiateShutdown);
		boolean idle = awaitIdle(executors, start + timeout.toNanos());
		long finishedAtCancel = this.tracker.finishedCount();
		long droppedAtCancel = this.tracker.droppedCount();
		long neverStarted = 0;
		List<Abandoned> abandoned = new ArrayList<>();
		if (!idle) {
			logger.info("Graceful shutdown: tasks timeout reached, cancelling " + this.tracker.active().size()
					+ " unit(s) of work");
			this.progress.setActivity("cancelling " + this.tracker.active().size() + " unit(s) of work");
			this.tracker.cancel();
			for (ExecutorConfigurationSupport executor : executors.values()) {
				neverStarted += cancelQueued(executor);
			}
			awaitIdle(executors, System.nanoTime() + this.cancelGrace.toNanos());
			// Handed off, their threads not there yet: dropped when they are.
			neverStarted += this.tracker.dropNotBegun() - droppedAtCancel;
			for (WorkTracker.Work work : this.tracker.active()) {
				Thread thread = work.thread();
				if (thread == null) {
					continue;
				}
				Abandoned entry = new Abandoned(work.name(), work.runningFor().toMillis(), thread.getName(),
						applicationFrame(thread));
				abandoned.add(entry);
				logger.warn("Graceful shutdown: abandoned '" + entry.name() + "' after " + entry.runningMs()
						+ " ms on thread " + entry.thread() + ((entry.at() != null) ? " at " + entry.at() : ""));
			}
		}
		long finished = this.tracker.finishedCount();
		long cancelled = idle ? 0 : finished - finishedAtCancel;
		long completed = finishedAtCancel - this.finishedAtShutdown;
		long skipped = (tracking != null) ? tracking.skippedCount() : 0;
		this.progress.setActivity(null);
		Tasks tasks = new Tasks(completed, cancelled, neverStarted, skipped, abandoned);
		ShutdownRecording.recordTasks(this.progress, tasks);
		Outcome outcome = idle ? Outcome.COMPLETED : Outcome.TIMED_OUT;
		String detail = completed + " completed, " + cancelled + " cancelled, " + abandoned.size() + " abandoned, "
				+ neverStarted + " never started, " + skipped + " scheduled run(s) skipped";
		var recorded = ShutdownRecording.stepEnded(this.progress, STEP, start, outcome, detail);
		logger.info("Graceful shutdown: tasks ended after " + recorded.durationMs() + " ms (" + detail + ")");
	}

	private boolean awaitIdle(Map<String, ExecutorConfigurationSupport> executors, long deadlineNanos) {
		try {
			for (ExecutorConfigurationSupport executor : executors.values()) {
				ExecutorService service = executorService(executor);
				long remaining = deadlineNanos - System.nanoTime();
				if (service != null && (remaining <= 0 || !service.awaitTermination(remaining, TimeUnit.NANOSECONDS))) {
					return false;
				}
			}
			return this.tracker.awaitIdle(deadlineNanos);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	private static int cancelQueued(ExecutorConfigurationSupport executor) {
		ExecutorService service = executorService(executor);
		if (service == null) {
			return 0;
		}
		List<Runnable> queued = service.shutdownNow();
		for (Runnable task : queued) {
			if (task instanceof Future<?> future) {
				future.cancel(true);
			}
		}
		// A scheduler's queue holds future runs, not work that was asked for and dropped.
		return (executor instanceof ThreadPoolTaskScheduler) ? 0 : queued.size();
	}

	private static @Nullable ExecutorService executorService(ExecutorConfigurationSupport executor) {
		try {
			if (executor instanceof ThreadPoolTaskExecutor threadPool) {
				return threadPool.getThreadPoolExecutor();
			}
			if (executor instanceof ThreadPoolTaskScheduler scheduler) {
				return scheduler.getScheduledExecutor();
			}
		}
		catch (IllegalStateException ex) {
			// Not initialized: nothing to wait for.
		}
		return null;
	}

	private static @Nullable String applicationFrame(Thread thread) {
		for (StackTraceElement element : thread.getStackTrace()) {
			String className = element.getClassName();
			if (!className.startsWith("java.") && !className.startsWith("jdk.") && !className.startsWith("sun.")
					&& !className.startsWith("org.springframework.")
					&& !className.startsWith(TaskDrain.class.getPackageName() + ".")
					&& !className.equals(WorkTracker.class.getName())) {
				return describe(element);
			}
		}
		StackTraceElement[] stack = thread.getStackTrace();
		return (stack.length > 0) ? describe(stack[0]) : null;
	}

	private static String describe(StackTraceElement element) {
		// Without the class loader and module prefixes of StackTraceElement.toString().
		return element.getClassName() + "." + element.getMethodName() + "(" + element.getFileName() + ":"
				+ element.getLineNumber() + ")";
	}

}
