package dev.graceful.shutdown.tasks;

import java.lang.reflect.Field;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RunnableScheduledFuture;
import java.util.concurrent.atomic.LongAdder;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.core.task.TaskDecorator;
import org.springframework.scheduling.concurrent.ExecutorConfigurationSupport;
import org.springframework.scheduling.concurrent.SimpleAsyncTaskScheduler;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.util.ReflectionUtils;

import dev.graceful.shutdown.WorkTracker;

/**
 * Puts Spring's {@link ThreadPoolTaskExecutor}, {@link ThreadPoolTaskScheduler} and
 * {@link SimpleAsyncTaskExecutor} beans (the {@code @Async} executor, the
 * {@code @Scheduled} scheduler and any other, unless excluded by bean name) under the
 * shutdown's control:
 * <ul>
 * <li>they keep accepting tasks after the context starts closing, while HTTP requests
 * are still served (by default Spring shuts them down at {@code ContextClosedEvent},
 * before the drain, and rejects the {@code @Async} calls of in-flight requests);</li>
 * <li>each task run is a {@link WorkTracker.Work unit of work}, so that it is awaited,
 * cancelled and named like any other;</li>
 * <li>on schedulers, no run starts once the shutdown has begun, and delayed or periodic
 * runs are dropped when the scheduler is shut down.</li>
 * </ul>
 * {@link TaskDrain} stops the pooled ones from accepting new tasks after the HTTP drain.
 * A {@link SimpleAsyncTaskExecutor} (a thread per task; Spring Boot's {@code @Async}
 * executor with virtual threads) keeps accepting until Spring closes it, but each of its
 * tasks is awaited like any unit of work, counted from the moment it is handed to the
 * executor (from the moment it runs if a concurrency limit rejects tasks).
 * {@link SimpleAsyncTaskScheduler} is left to Spring.
 */
public final class ExecutorTracking implements BeanPostProcessor {

	private final ObjectProvider<WorkTracker> workTracker;

	private final Set<String> excluded;

	private final Map<String, ExecutorConfigurationSupport> executors = new ConcurrentHashMap<>();

	private final Set<String> threadPerTask = ConcurrentHashMap.newKeySet();

	private final LongAdder skipped = new LongAdder();

	private volatile @Nullable WorkTracker resolvedTracker;

	/**
	 * Create a new instance.
	 * @param workTracker the work tracker, resolved when the first task runs
	 * @param excluded names of executor beans to leave alone
	 */
	public ExecutorTracking(ObjectProvider<WorkTracker> workTracker, Collection<String> excluded) {
		this.workTracker = workTracker;
		this.excluded = Set.copyOf(excluded);
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
		if (this.excluded.contains(beanName)) {
			return bean;
		}
		if (bean instanceof ThreadPoolTaskExecutor executor) {
			executor.setAcceptTasksAfterContextClose(true);
			executor.setTaskDecorator(tracking(beanName, existingDecorator(executor), false));
			this.executors.put(beanName, executor);
		}
		else if (bean instanceof SimpleAsyncTaskExecutor executor && !(bean instanceof SimpleAsyncTaskScheduler)) {
			// A thread per task (Spring Boot's executor with virtual threads): nothing to
			// shut down early, but every task is awaited as a unit of work, where without
			// the starter a (daemon, virtual) thread still running at exit is simply lost.
			executor.setTaskDecorator(threadPerTaskTracking(beanName, executor, existingDecorator(executor)));
			this.threadPerTask.add(beanName);
		}
		else if (bean instanceof ThreadPoolTaskScheduler scheduler) {
			scheduler.setAcceptTasksAfterContextClose(true);
			scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
			scheduler.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
			scheduler.setTaskDecorator(tracking(beanName, existingDecorator(scheduler), true));
			this.executors.put(beanName, scheduler);
		}
		return bean;
	}

	/**
	 * Return the tracked executors by bean name.
	 * @return the tracked executors
	 */
	public Map<String, ExecutorConfigurationSupport> executors() {
		return Map.copyOf(this.executors);
	}

	/**
	 * Return the names of the tracked executors that start a thread per task
	 * ({@link SimpleAsyncTaskExecutor}): their tasks are awaited, but they have no queue
	 * to stop.
	 * @return the bean names
	 */
	public Set<String> threadPerTaskExecutors() {
		return Set.copyOf(this.threadPerTask);
	}

	/**
	 * Return how many scheduled runs were skipped because the shutdown had begun.
	 * @return the number of skipped runs
	 */
	public long skippedCount() {
		return this.skipped.sum();
	}

	private TaskDecorator tracking(String beanName, @Nullable TaskDecorator existing, boolean skipAfterShutdown) {
		return (runnable) -> {
			Runnable decorated = (existing != null) ? existing.decorate(runnable) : runnable;
			// Runs planned before the shutdown (and every run of a periodic task) are skipped
			// once it has begun; work handed to a scheduler during the shutdown still runs.
			boolean plannedBeforeShutdown = !tracker().isShutdownRequested();
			boolean periodic = runnable instanceof RunnableScheduledFuture<?> future && future.isPeriodic();
			return () -> {
				WorkTracker tracker = tracker();
				if (skipAfterShutdown && (plannedBeforeShutdown || periodic) && tracker.isShutdownRequested()) {
					this.skipped.increment();
					return;
				}
				try (WorkTracker.Work work = tracker.start(() -> describe(beanName, runnable))) {
					decorated.run();
				}
			};
		};
	}

	private TaskDecorator threadPerTaskTracking(String beanName, SimpleAsyncTaskExecutor executor,
			@Nullable TaskDecorator existing) {
		if (mayRejectAfterDecorating(executor)) {
			// Counted once its thread runs it, as on a pool.
			return tracking(beanName, existing, false);
		}
		return (runnable) -> {
			Runnable decorated = (existing != null) ? existing.decorate(runnable) : runnable;
			// Decorated on the submitting thread just before the executor starts a thread for
			// it: counted from now on, or a shutdown that looks between the hand-off and the
			// moment that thread (a virtual one on a busy carrier, say) reaches the task
			// would not wait for it.
			WorkTracker.Work work = tracker().handOff(() -> describe(beanName, runnable));
			return () -> {
				try (work) {
					if (work.begin()) {
						decorated.run();
					}
				}
			};
		};
	}

	/**
	 * Whether the executor can refuse a task after decorating it, leaving a handed-off
	 * unit that no thread would ever begin: only with a concurrency limit that rejects
	 * rather than waits (a waiting submitter is rejected only if interrupted).
	 */
	private static boolean mayRejectAfterDecorating(SimpleAsyncTaskExecutor executor) {
		if (!executor.isThrottleActive()) {
			return false;
		}
		Field field = ReflectionUtils.findField(SimpleAsyncTaskExecutor.class, "rejectTasksWhenLimitReached",
				boolean.class);
		if (field == null) {
			return true;
		}
		ReflectionUtils.makeAccessible(field);
		return Boolean.TRUE.equals(ReflectionUtils.getField(field, executor));
	}

	private WorkTracker tracker() {
		WorkTracker tracker = this.resolvedTracker;
		if (tracker == null) {
			tracker = this.workTracker.getObject();
			this.resolvedTracker = tracker;
		}
		return tracker;
	}

	/**
	 * Name a task run: the scheduled method for {@code @Scheduled} runs (Spring's
	 * wrappers print it), the executor bean otherwise.
	 */
	static String describe(String beanName, Runnable runnable) {
		String text = runnable.toString();
		for (String marker : List.of("DelegatingErrorHandlingRunnable for ", "ScheduledMethodRunnable for ")) {
			int index = text.lastIndexOf(marker);
			if (index >= 0) {
				String method = text.substring(index + marker.length()).replaceAll("[\\]\\s]+$", "");
				return beanName + ": " + method;
			}
		}
		return beanName + " task";
	}

	private static @Nullable TaskDecorator existingDecorator(Object executor) {
		// No executor exposes its decorator; keep the user's (context propagation, say) by
		// wrapping it instead of replacing it.
		Field field = ReflectionUtils.findField(executor.getClass(), "taskDecorator", TaskDecorator.class);
		if (field == null) {
			return null;
		}
		ReflectionUtils.makeAccessible(field);
		return (TaskDecorator) ReflectionUtils.getField(field, executor);
	}

}
