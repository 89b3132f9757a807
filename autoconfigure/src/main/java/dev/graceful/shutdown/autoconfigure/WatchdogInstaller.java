package dev.graceful.shutdown.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.context.event.ApplicationFailedEvent;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.boot.context.event.SpringApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;

import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.watchdog.ShutdownWatchdog;

/**
 * Installs the {@link ShutdownWatchdog} of an application run as soon as its environment
 * is known, before any bean is created, so that a SIGTERM during startup is bounded by
 * the budget too; then hands the watchdog and the budget to the application context as
 * beans, and the context to the watchdog to watch. Registered in
 * {@code META-INF/spring.factories}: {@code SpringApplication} creates one per run.
 */
public final class WatchdogInstaller implements ApplicationListener<SpringApplicationEvent> {

	private static final String BUDGET_BEAN_NAME = "gracefulShutdownBudget";

	private static final String WATCHDOG_BEAN_NAME = "gracefulShutdownWatchdog";

	private @Nullable ShutdownWatchdog watchdog;

	private @Nullable ShutdownBudget budget;

	@Override
	public void onApplicationEvent(SpringApplicationEvent event) {
		if (event instanceof ApplicationEnvironmentPreparedEvent prepared) {
			install(prepared.getEnvironment());
		}
		else if (event instanceof ApplicationPreparedEvent prepared) {
			handOver(prepared.getApplicationContext());
		}
		else if (event instanceof ApplicationFailedEvent failed && failed.getApplicationContext() == null) {
			// Failed before there was a context to destroy the watchdog with it.
			uninstall();
		}
	}

	private void install(ConfigurableEnvironment environment) {
		if (this.watchdog != null) {
			return;
		}
		GracefulShutdownProperties properties;
		try {
			properties = GracefulShutdownProperties.bindForWatchdog(environment);
		}
		catch (RuntimeException ex) {
			// Unbindable: the startup fails with a failure analysis that names the property.
			return;
		}
		// Values that cannot work fail the startup when the context checks them; the
		// context then closes, and with it this watchdog.
		if (!properties.isEnabled() || properties.getTimeout().isNegative() || properties.getTimeout().isZero()) {
			return;
		}
		ShutdownBudget budget = new ShutdownBudget(properties.getTimeout());
		ShutdownWatchdog watchdog = new ShutdownWatchdog(budget, properties.getWatchdog().isEnabled(),
				properties.getWatchdog().getMargin(), properties.getWatchdog().getExitCode());
		watchdog.install();
		this.budget = budget;
		this.watchdog = watchdog;
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
