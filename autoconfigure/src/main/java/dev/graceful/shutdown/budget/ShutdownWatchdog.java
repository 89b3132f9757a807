package dev.graceful.shutdown.budget;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * Enforces the shutdown budget for the whole JVM. Installed once, as early as the
 * environment is known, it registers a JVM shutdown hook: when the JVM starts exiting
 * (SIGTERM, Ctrl+C, {@code System.exit}) the hook notes the time and, if the watchdog is
 * enabled, arms a timer. If the process is still alive when the budget plus the margin is
 * spent, the timer logs what is still running (the current step, requests, background
 * work, cleanup) and a full thread dump, then halts the JVM with the configured exit code,
 * before the platform's SIGKILL cuts it off with no word.
 * <p>
 * Only a JVM that is exiting is ever halted: closing an application context in a running
 * JVM (a test, say) never arms it.
 */
public final class ShutdownWatchdog {

	private static final Log logger = LogFactory.getLog(ShutdownWatchdog.class);

	private static final List<Supplier<String>> diagnostics = new CopyOnWriteArrayList<>();

	private static final List<WeakReference<ConfigurableApplicationContext>> contexts = new CopyOnWriteArrayList<>();

	private static volatile Settings settings = new Settings(false, Duration.ZERO, Duration.ZERO, 0);

	private static volatile boolean installed;

	private static volatile long signalNanos;

	private ShutdownWatchdog() {
	}

	/**
	 * Install the JVM shutdown hook, once per JVM; later calls only update the settings.
	 * @param newSettings the budget and watchdog settings
	 */
	public static synchronized void install(Settings newSettings) {
		settings = newSettings;
		if (installed) {
			return;
		}
		try {
			Runtime.getRuntime().addShutdownHook(new Thread(ShutdownWatchdog::jvmShutdownStarted, "graceful-shutdown-hook"));
			installed = true;
		}
		catch (IllegalStateException ex) {
			// The JVM is already exiting: start the clock now.
			jvmShutdownStarted();
		}
	}

	/**
	 * Watch an application context: the watchdog halts the JVM only while at least one
	 * watched context has not finished closing, so a JVM that is slow to exit for reasons
	 * of its own (a test runner, say) is left alone.
	 * @param context the context
	 */
	public static void watch(ConfigurableApplicationContext context) {
		contexts.removeIf((reference) -> reference.get() == null);
		contexts.add(new WeakReference<>(context));
	}

	private static boolean isAnyContextClosing() {
		for (WeakReference<ConfigurableApplicationContext> reference : contexts) {
			ConfigurableApplicationContext context = reference.get();
			// A context stays active until the very end of close(), @PreDestroy included.
			if (context != null && context.isActive()) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Add a source of diagnostics printed if the watchdog fires.
	 * @param source describes what is still running
	 */
	public static void addDiagnostics(Supplier<String> source) {
		diagnostics.add(source);
	}

	/**
	 * Remove a source of diagnostics.
	 * @param source the source
	 */
	public static void removeDiagnostics(Supplier<String> source) {
		diagnostics.remove(source);
	}

	/**
	 * Return when the JVM started exiting.
	 * @return its {@link System#nanoTime()}, or {@code 0} if it has not
	 */
	public static long jvmShutdownStartNanos() {
		return signalNanos;
	}

	/**
	 * Whether the JVM is exiting.
	 * @return whether the JVM shutdown hooks have started
	 */
	public static boolean isJvmShuttingDown() {
		if (signalNanos != 0) {
			return true;
		}
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

	private static void jvmShutdownStarted() {
		long now = System.nanoTime();
		signalNanos = (now != 0) ? now : 1;
		Settings current = settings;
		if (!current.enabled()) {
			return;
		}
		Thread timer = new Thread(() -> watch(now, current), "graceful-shutdown-watchdog");
		timer.setDaemon(true);
		timer.start();
	}

	private static void watch(long startNanos, Settings settings) {
		long fireAt = startNanos + settings.budget().toNanos() + settings.margin().toNanos();
		long remaining;
		while ((remaining = fireAt - System.nanoTime()) > 0) {
			try {
				TimeUnit.NANOSECONDS.sleep(remaining);
			}
			catch (InterruptedException ex) {
				// Keep watching: only the end of the JVM stops the watchdog.
			}
		}
		if (isAnyContextClosing()) {
			fire(settings);
		}
	}

	private static void fire(Settings settings) {
		StringBuilder message = new StringBuilder("Graceful shutdown did not finish within its budget of ")
			.append(settings.budget().toMillis())
			.append(" ms (graceful.shutdown.timeout) plus ")
			.append(settings.margin().toMillis())
			.append(" ms margin; halting with exit code ")
			.append(settings.exitCode())
			.append('.');
		for (Supplier<String> source : diagnostics) {
			try {
				message.append("\n  Still running: ").append(source.get());
			}
			catch (Throwable ex) {
				message.append("\n  (diagnostics failed: ").append(ex).append(')');
			}
		}
		message.append("\nThread dump:\n").append(threadDump());
		String text = message.toString();
		logger.error(text);
		// The logging system may already be stopped: make sure the words reach the output.
		System.err.println(text);
		System.err.flush();
		Runtime.getRuntime().halt(settings.exitCode());
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

	/**
	 * Watchdog settings.
	 *
	 * @param enabled whether the watchdog halts an overdue shutdown
	 * @param budget the overall shutdown budget
	 * @param margin how long past the budget to wait before halting
	 * @param exitCode the exit code to halt with
	 */
	public record Settings(boolean enabled, Duration budget, Duration margin, int exitCode) {
	}

}
