package dev.graceful.shutdown.watchdog;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.ConfigurableApplicationContext;

import dev.graceful.shutdown.timeline.ShutdownBudget;

/**
 * Enforces the shutdown budget of one application. Installed as early as the
 * environment is known, it registers a JVM shutdown hook: when the JVM starts exiting
 * (SIGTERM, Ctrl+C, {@code System.exit}) the hook starts the budget's clock and, if the
 * watchdog is enabled, arms a timer. If the application's context is still closing when
 * the budget plus the margin is spent, the timer logs what is still running (the current
 * step, requests, background work, participants, cleanup) and a full thread dump, then
 * halts the JVM with the configured exit code, before the platform's SIGKILL cuts it off
 * with no word.
 * <p>
 * Only a JVM that is exiting is ever halted, and only while the context is still
 * closing: closing a context in a running JVM (a test, say) never arms it, and a JVM that
 * is slow to exit once the context has closed (another shutdown hook, a test runner) is
 * left alone. When the context has closed in a JVM that goes on running, the hook is
 * removed.
 */
public final class ShutdownWatchdog implements DisposableBean {

	private static final Log logger = LogFactory.getLog(ShutdownWatchdog.class);

	private final ShutdownBudget budget;

	private final boolean enabled;

	private final Duration margin;

	private final int exitCode;

	private final Thread hook = new Thread(this::jvmExitStarted, "graceful-shutdown-hook");

	private volatile WeakReference<@Nullable ConfigurableApplicationContext> context = new WeakReference<>(null);

	private volatile @Nullable Supplier<String> diagnostics;

	/**
	 * Create a watchdog.
	 * @param budget the budget, whose clock the JVM's exit starts
	 * @param enabled whether to halt an overdue shutdown (when not, the hook only starts
	 * the budget's clock)
	 * @param margin how long past the budget to wait before halting
	 * @param exitCode the exit code to halt with
	 */
	public ShutdownWatchdog(ShutdownBudget budget, boolean enabled, Duration margin, int exitCode) {
		this.budget = budget;
		this.enabled = enabled;
		this.margin = margin;
		this.exitCode = exitCode;
	}

	/**
	 * Register the JVM shutdown hook; if the JVM is exiting already, start at once.
	 */
	public void install() {
		try {
			Runtime.getRuntime().addShutdownHook(this.hook);
		}
		catch (IllegalStateException ex) {
			jvmExitStarted();
		}
	}

	/**
	 * Watch an application context: the watchdog halts the JVM only while it has not
	 * finished closing.
	 * @param context the context
	 */
	public void watch(ConfigurableApplicationContext context) {
		this.context = new WeakReference<>(context);
	}

	/**
	 * Set what describes, if the watchdog fires, what the application is still doing.
	 * @param diagnostics one line of description
	 */
	public void describeWith(Supplier<String> diagnostics) {
		this.diagnostics = diagnostics;
	}

	/**
	 * Remove the JVM shutdown hook, unless the JVM is exiting (then it is running, and
	 * still watching what happens after the context has closed).
	 */
	@Override
	public void destroy() {
		try {
			Runtime.getRuntime().removeShutdownHook(this.hook);
		}
		catch (IllegalStateException ex) {
			// The JVM is exiting: the hook runs.
		}
	}

	/**
	 * Whether the JVM is exiting: its shutdown hooks have started.
	 * @return whether the JVM is exiting
	 */
	public static boolean isJvmExiting() {
		try {
			Thread probe = new Thread(() -> {
			});
			Runtime.getRuntime().addShutdownHook(probe);
			Runtime.getRuntime().removeShutdownHook(probe);
			return false;
		}
		catch (IllegalStateException ex) {
			return true;
		}
	}

	private void jvmExitStarted() {
		long now = System.nanoTime();
		this.budget.startClock(now);
		if (!this.enabled) {
			return;
		}
		Thread timer = new Thread(() -> awaitBudget(now), "graceful-shutdown-watchdog");
		timer.setDaemon(true);
		timer.start();
	}

	private void awaitBudget(long exitNanos) {
		long fireAt = exitNanos + this.budget.total().toNanos() + this.margin.toNanos();
		long remaining;
		while ((remaining = fireAt - System.nanoTime()) > 0) {
			try {
				TimeUnit.NANOSECONDS.sleep(remaining);
			}
			catch (InterruptedException ex) {
				// Keep watching: only the end of the JVM stops the watchdog.
			}
		}
		ConfigurableApplicationContext context = this.context.get();
		// A context stays active until the very end of close(), @PreDestroy included.
		if (context != null && context.isActive()) {
			halt();
		}
	}

	private void halt() {
		StringBuilder message = new StringBuilder("Graceful shutdown did not finish within its budget of ")
			.append(this.budget.total().toMillis())
			.append(" ms (graceful.shutdown.timeout) plus ")
			.append(this.margin.toMillis())
			.append(" ms margin; halting with exit code ")
			.append(this.exitCode)
			.append('.');
		try {
			Supplier<String> diagnostics = this.diagnostics;
			message.append("\n  Still running: ").append((diagnostics != null) ? diagnostics.get()
					: "no diagnostics: the application context was not created");
		}
		catch (Throwable ex) {
			message.append("\n  (diagnostics failed: ").append(ex).append(')');
		}
		message.append("\nThread dump:\n").append(threadDump());
		String text = message.toString();
		logger.error(text);
		// The logging system may already be stopped: make sure the words reach the output.
		System.err.println(text);
		System.err.flush();
		Runtime.getRuntime().halt(this.exitCode);
	}

	static String threadDump() {
		StringBuilder dump = new StringBuilder();
		for (Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet()) {
			Thread thread = entry.getKey();
			dump.append('"')
				.append(thread.getName())
				.append('"')
				.append(thread.isDaemon() ? " daemon" : "")
				.append(" state=")
				.append(thread.getState())
				.append('\n');
			for (StackTraceElement element : entry.getValue()) {
				dump.append("\tat ").append(element).append('\n');
			}
			dump.append('\n');
		}
		return dump.toString();
	}

}
