package dev.graceful.shutdown.autoconfigure;

import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.ApplicationContext;
import org.springframework.util.ClassUtils;

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.actuate.GracefulShutdownHealthIndicator;
import dev.graceful.shutdown.metrics.DeferredMeterRegistryClosing;
import dev.graceful.shutdown.metrics.GracefulShutdownMetrics;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

/**
 * Registers, after the core's parts (see {@link ShutdownCoreRegistrar}, which calls it),
 * the {@code gracefulShutdown} health contributor when Spring Boot's health support is on
 * the class path, and the shutdown's meters when the application has a Micrometer
 * {@link MeterRegistry}: in the core registrar's pass rather than from auto-configurations
 * of their own, each of which the startup would read, match and create beans for.
 * <ul>
 * <li>The health contributor, a ready-made singleton named
 * {@value #HEALTH_INDICATOR_BEAN_NAME}, is on unless
 * {@code management.health.gracefulshutdown.enabled}, else
 * {@code management.health.defaults.enabled}, is {@code false}, as Spring Boot's
 * {@code @ConditionalOnEnabledHealthIndicator} decides; a bean of that name that the
 * application defines replaces it.</li>
 * <li>The meters ({@link GracefulShutdownMetrics}) are a bean definition, created with the
 * application's meter registry, which does not exist yet; the closing of the registries is
 * deferred ({@link DeferredMeterRegistryClosing}) unless
 * {@code graceful.shutdown.metrics.defer-registry-close} is {@code false}. A bean of
 * either type that the application defines replaces ours.</li>
 * </ul>
 */
final class HealthAndMetricsRegistrar {

	private static final String HEALTH_INDICATOR_BEAN_NAME = "gracefulShutdownHealthIndicator";

	static final String HEALTH_INDICATOR = "org.springframework.boot.health.contributor.HealthIndicator";

	static final String METER_REGISTRY = "io.micrometer.core.instrument.MeterRegistry";

	private HealthAndMetricsRegistrar() {
	}

	/**
	 * Registers the health contributor and the meters, each where it applies.
	 * @param beanFactory the bean factory
	 * @param parts the application's definitions, as the core registrar found them
	 * @param context the application context
	 * @param progress the record of the shutdown
	 * @param deferRegistryClose whether to keep the meter registries open until the
	 * shutdown is recorded
	 * @return the deferred closing of the meter registries, which needs the callback once
	 * every singleton exists, or {@code null} if none was registered
	 */
	static @Nullable DeferredMeterRegistryClosing register(
			ConfigurableListableBeanFactory beanFactory, Singletons parts, ApplicationContext context,
			ShutdownRecorder progress, boolean deferRegistryClose) {
		ClassLoader classLoader = beanFactory.getBeanClassLoader();
		if (ClassUtils.isPresent(HEALTH_INDICATOR, classLoader)
				&& StartupPreloader.healthContributorEnabled(context.getEnvironment())
				&& !beanFactory.containsBean(HEALTH_INDICATOR_BEAN_NAME)) {
			Singletons.register(beanFactory, HEALTH_INDICATOR_BEAN_NAME, new GracefulShutdownHealthIndicator(progress));
		}
		if (!ClassUtils.isPresent(METER_REGISTRY, classLoader) || parts.absent(MeterRegistry.class)) {
			return null;
		}
		// Without Micrometer, the JVM never resolves the meters' types: it resolves a class
		// named in a method when the instruction that names it first runs.
		if (parts.absent(GracefulShutdownMetrics.class)) {
			// Created with the registry, once the application's beans are being created.
			Singletons.define(beanFactory, "gracefulShutdownMetrics",
					new RootBeanDefinition(GracefulShutdownMetrics.class, () -> metrics(beanFactory)));
		}
		if (!deferRegistryClose || !parts.absent(DeferredMeterRegistryClosing.class)) {
			return null;
		}
		return Singletons.register(beanFactory, "gracefulShutdownDeferredMeterRegistryClosing",
				new DeferredMeterRegistryClosing(context, progress));
	}

	private static GracefulShutdownMetrics metrics(ListableBeanFactory beanFactory) {
		return new GracefulShutdownMetrics(beanFactory.getBean(MeterRegistry.class),
				beanFactory.getBeanProvider(RequestTracker.class).getIfAvailable(),
				Singletons.workRegistry(beanFactory.getBeanProvider(WorkTracker.class)),
				beanFactory.getBeanProvider(ParticipantRunner.class).getIfAvailable());
	}

}
