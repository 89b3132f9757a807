package dev.graceful.shutdown.budget;

import java.time.Duration;

import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.event.SpringApplicationEvent;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;

/**
 * Installs the {@link ShutdownWatchdog} as soon as the environment is known, before any
 * bean is created, so that a SIGTERM during startup is bounded by the budget too.
 * Registered in {@code META-INF/spring.factories}.
 */
public final class WatchdogInstaller implements ApplicationListener<SpringApplicationEvent> {

	/** Exit code of a JVM halted by the watchdog. */
	public static final int DEFAULT_EXIT_CODE = 124;

	@Override
	public void onApplicationEvent(SpringApplicationEvent event) {
		if (event instanceof ApplicationEnvironmentPreparedEvent prepared) {
			install(prepared);
		}
		else if (event instanceof ApplicationPreparedEvent prepared) {
			ShutdownWatchdog.watch(prepared.getApplicationContext());
		}
	}

	private void install(ApplicationEnvironmentPreparedEvent event) {
		Binder binder = Binder.get(event.getEnvironment());
		boolean enabled = binder.bind("graceful.shutdown.enabled", Boolean.class).orElse(true)
				&& binder.bind("graceful.shutdown.watchdog.enabled", Boolean.class).orElse(true);
		if (!enabled) {
			return;
		}
		try {
			Duration budget = binder.bind("graceful.shutdown.timeout", Bindable.of(Duration.class))
				.orElse(Duration.ofSeconds(30));
			Duration margin = binder.bind("graceful.shutdown.watchdog.margin", Bindable.of(Duration.class))
				.orElse(Duration.ofSeconds(2));
			int exitCode = binder.bind("graceful.shutdown.watchdog.exit-code", Integer.class).orElse(DEFAULT_EXIT_CODE);
			if (budget.isNegative() || budget.isZero() || margin.isNegative() || exitCode < 1 || exitCode > 255) {
				// Invalid: the startup fails with a failure analysis that names the property.
				return;
			}
			ShutdownWatchdog.install(new ShutdownWatchdog.Settings(true, budget, margin, exitCode));
		}
		catch (RuntimeException ex) {
			// Unbindable values are reported the same way, by the configuration properties.
		}
	}

}
