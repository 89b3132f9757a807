package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.context.event.SpringApplicationEvent;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.watchdog.ShutdownWatchdog;

/**
 * Installs the {@link ShutdownWatchdog} of an application run as soon as its environment
 * is known, before any bean is created, so that a SIGTERM during startup is bounded by
 * the budget too; then hands the watchdog and the budget to the application context as
 * beans, and the context to the watchdog to watch. Registered in
 * {@code META-INF/spring.factories}: {@code SpringApplication} creates one per run.
 * <p>
 * With the environment, it also adds the defaults that other libraries' properties get
 * when the starter is on, in a property source of lowest precedence named
 * {@value #DEFAULTS_PROPERTY_SOURCE_NAME}: any value the application sets wins.
 * {@code spring.reactor.netty.shutdown-quiet-period} defaults to {@code 0s} instead of
 * Reactor Netty's 2 s. The quiet period keeps the event loops alive until no task has
 * been submitted to them for that long, so that late work is not rejected; with the
 * starter, the drain has already waited for every request, so the quiet period only
 * delays the exit. Queued tasks still run with a quiet period of zero. The value is a
 * {@code Duration} rather than text, which Spring Boot would parse when it binds Reactor
 * Netty's properties, loading its duration parser for this value alone. (Here rather than
 * in an environment post-processor of its own: the environment is complete, config data
 * and profiles included, when this listener hears of it, and one class fewer loads.)
 */
public final class WatchdogInstaller implements ApplicationListener<SpringApplicationEvent> {

	/** Name of the property source holding the defaults of other libraries' properties. */
	public static final String DEFAULTS_PROPERTY_SOURCE_NAME = "gracefulShutdownDefaults";

	/** Reactor Netty's shutdown quiet period, bound by Spring Boot. */
	public static final String NETTY_QUIET_PERIOD = "spring.reactor.netty.shutdown-quiet-period";

	private static final String LOOP_RESOURCES = "reactor.netty.resources.LoopResources";

	private static final String BUDGET_BEAN_NAME = "gracefulShutdownBudget";

	private static final String WATCHDOG_BEAN_NAME = "gracefulShutdownWatchdog";

	private @Nullable ShutdownWatchdog watchdog;

	private @Nullable ShutdownBudget budget;

	@Override
	public void onApplicationEvent(SpringApplicationEvent event) {
		if (event instanceof ApplicationEnvironmentPreparedEvent prepared) {
			boolean enabled = install(prepared.getEnvironment(), prepared.getSpringApplication().getClassLoader());
			StartupPreloader.environmentPrepared(enabled, prepared.getEnvironment(), prepared.getSpringApplication());
		}
		else if (event instanceof ApplicationPreparedEvent prepared) {
			handOver(prepared.getApplicationContext());
		}
		else if (event instanceof ApplicationReadyEvent) {
			StartupPreloader.startupEnded();
		}
		else if (event instanceof ApplicationFailedEvent failed) {
			StartupPreloader.startupEnded();
			if (failed.getApplicationContext() == null) {
				// Failed before there was a context to destroy the watchdog with it.
				uninstall();
			}
		}
	}

	/**
	 * Installs the watchdog, unless graceful shutdown is off. Binds the five keys it needs
	 * one by one, without the properties' classes (12 of them), which the
	 * {@link StartupPreloader} loads in the background for the context's binding of the
	 * whole group.
	 * @return whether graceful shutdown is on ({@code false} also if a key cannot be bound:
	 * the startup then fails when the context binds it, with a failure analysis that names
	 * the property)
	 */
	private boolean install(ConfigurableEnvironment environment, @Nullable ClassLoader classLoader) {
		Binder binder = Binder.get(environment);
		boolean enabled;
		Duration timeout;
		boolean watchdogEnabled;
		Duration margin;
		int exitCode;
		try {
			enabled = binder.bind(GracefulShutdownProperties.ENABLED, Boolean.class).orElse(true);
			timeout = binder.bind(GracefulShutdownProperties.TIMEOUT, Duration.class)
				.orElse(Duration.ofSeconds(GracefulShutdownProperties.DEFAULT_TIMEOUT_SECONDS));
			watchdogEnabled = binder.bind(GracefulShutdownProperties.WATCHDOG_ENABLED, Boolean.class).orElse(true);
			margin = binder.bind(GracefulShutdownProperties.WATCHDOG_MARGIN, Duration.class)
				.orElse(Duration.ofSeconds(GracefulShutdownProperties.DEFAULT_WATCHDOG_MARGIN_SECONDS));
			exitCode = binder.bind(GracefulShutdownProperties.WATCHDOG_EXIT_CODE, Integer.class)
				.orElse(GracefulShutdownProperties.DEFAULT_WATCHDOG_EXIT_CODE);
		}
		catch (RuntimeException ex) {
			// Unbindable: the startup fails with a failure analysis that names the property.
			return false;
		}
		// Values that cannot work fail the startup when the context checks them; the
		// context then closes, and with it this watchdog.
		if (this.watchdog != null || !enabled) {
			return enabled;
		}
		addDefaults(environment, classLoader);
		if (timeout.isNegative() || timeout.isZero()) {
			return true;
		}
		ShutdownBudget budget = new ShutdownBudget(timeout);
		ShutdownWatchdog watchdog = new ShutdownWatchdog(budget, watchdogEnabled, margin, exitCode);
		watchdog.install();
		this.budget = budget;
		this.watchdog = watchdog;
		return true;
	}

	private static void addDefaults(ConfigurableEnvironment environment, @Nullable ClassLoader classLoader) {
		if (!environment.getPropertySources().contains(DEFAULTS_PROPERTY_SOURCE_NAME)
				&& ClassUtils.isPresent(LOOP_RESOURCES, classLoader)) {
			Map<String, Object> defaults = Map.of(NETTY_QUIET_PERIOD, Duration.ZERO);
			environment.getPropertySources().addLast(new MapPropertySource(DEFAULTS_PROPERTY_SOURCE_NAME, defaults));
		}
	}

	private void handOver(ConfigurableApplicationContext context) {
		ShutdownWatchdog watchdog = this.watchdog;
		ShutdownBudget budget = this.budget;
		if (watchdog == null || budget == null) {
			return;
		}
		watchdog.watch(context);
		ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
		if (!beanFactory.containsBean(BUDGET_BEAN_NAME)) {
			beanFactory.registerSingleton(BUDGET_BEAN_NAME, budget);
		}
		if (!beanFactory.containsBean(WATCHDOG_BEAN_NAME)) {
			beanFactory.registerSingleton(WATCHDOG_BEAN_NAME, watchdog);
			// Registered before every other bean, so destroyed after them: the hook is
			// removed once the context has closed in a JVM that goes on running.
			if (beanFactory instanceof DefaultSingletonBeanRegistry registry) {
				registry.registerDisposableBean(WATCHDOG_BEAN_NAME, watchdog);
			}
		}
	}

	private void uninstall() {
		ShutdownWatchdog watchdog = this.watchdog;
		if (watchdog != null) {
			watchdog.destroy();
		}
	}

}
