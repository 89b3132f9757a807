package dev.graceful.shutdown.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.Ordered;
import org.springframework.core.env.Environment;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.cleanup.CleanupRegistry;
import dev.graceful.shutdown.cleanup.CleanupRunner;
import dev.graceful.shutdown.cleanup.OnShutdownAnnotationBeanPostProcessor;
import dev.graceful.shutdown.discovery.DiscoveryPropagation;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.readiness.ShutdownStartListener;
import dev.graceful.shutdown.report.ReportFile;
import dev.graceful.shutdown.report.ShutdownDiagnostics;
import dev.graceful.shutdown.report.ShutdownSummary;
import dev.graceful.shutdown.tasks.ExecutorTracking;
import dev.graceful.shutdown.tasks.TaskDrain;
import dev.graceful.shutdown.tasks.WorkRegistry;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownPlan;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.watchdog.ShutdownWatchdog;
import dev.graceful.shutdown.web.RequestTracker;

import static dev.graceful.shutdown.autoconfigure.Singletons.shared;
import static dev.graceful.shutdown.autoconfigure.Singletons.unlessDefined;

/**
 * Registers the parts of graceful shutdown that every application has as ready-made
 * singletons, before any bean is created: the budget and the record of the shutdown, its
 * plan, its start (readiness), the shutdown participants, the {@link WorkTracker} and the
 * tasks step, the cleanups, the summary and, when {@code graceful.shutdown.report.file}
 * is set, the report file; and the bean post-processors of {@code @OnShutdown} methods
 * and of Spring's executors. Spring then finds them by type (lifecycles, listeners,
 * injection points) without parsing, matching or inspecting a bean definition for each:
 * one object here costs the startup its class only, a {@code @Bean} method several times
 * that.
 * <p>
 * Each part keeps the bean name it always had. An application's bean of a part's type
 * replaces it, as a {@code @ConditionalOnMissingBean} would; a bean of a part's name but
 * another type fails the startup with a message that says so. The properties are bound
 * here, once, and the object is the {@code graceful.shutdown} properties bean that
 * {@code /actuator/configprops} shows.
 */
final class ShutdownCoreRegistrar implements BeanFactoryPostProcessor, Ordered, SmartInitializingSingleton,
		EnvironmentAware, ApplicationContextAware {

	static final String PROPERTIES_BEAN_NAME = GracefulShutdownProperties.PREFIX + "-"
			+ GracefulShutdownProperties.class.getName();

	private @Nullable Environment environment;

	private @Nullable ApplicationContext applicationContext;

	private @Nullable ConfigurableListableBeanFactory beanFactory;

	private @Nullable OnShutdownAnnotationBeanPostProcessor onShutdownMethods;

	@Override
	public void setEnvironment(Environment environment) {
		this.environment = environment;
	}

	@Override
	public void setApplicationContext(ApplicationContext applicationContext) {
		this.applicationContext = applicationContext;
	}

	@Override
	public int getOrder() {
		return Singletons.CORE_ORDER;
	}

	@Override
	public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) throws BeansException {
		this.beanFactory = beanFactory;
		Environment environment = Objects.requireNonNull(this.environment, "environment");
		ApplicationContext context = Objects.requireNonNull(this.applicationContext, "applicationContext");
		Binder binder = Binder.get(environment);
		// The definition @EnableConfigurationProperties made stays, so that the properties
		// are listed as such; the object bound here is its instance.
		GracefulShutdownProperties properties = binder.bindOrCreate(GracefulShutdownProperties.PREFIX,
				GracefulShutdownProperties.class);
		beanFactory.registerSingleton(PROPERTIES_BEAN_NAME, properties);
		CloudPlatform platform = CloudPlatform.getActive(environment);
		// Every step records in the recorder: checking the settings first fails the startup
		// before any step exists.
		properties.check(platform);
		// The watchdog installer registered the budget whose clock the JVM's exit starts,
		// when the application was started with SpringApplication.
		ShutdownBudget budget = shared(beanFactory, "gracefulShutdownBudget", ShutdownBudget.class,
				() -> new ShutdownBudget(properties.getTimeout()));
		ShutdownRecorder progress = shared(beanFactory, "gracefulShutdownProgress", ShutdownRecorder.class,
				() -> new ShutdownRecorder(budget));
		Duration phaseTimeout = Singletons.phaseTimeout(binder);
		ShutdownPlan plan = shared(beanFactory, "gracefulShutdownPlan", ShutdownPlan.class,
				() -> properties.plan(platform, phaseTimeout));
		Path reportFile = properties.getReport().getFile();
		if (reportFile != null) {
			unlessDefined(beanFactory, "gracefulShutdownReportFile", ReportFile.class,
					() -> new ReportFile(reportFile));
		}
		unlessDefined(beanFactory, "gracefulShutdownStartListener", ShutdownStartListener.class,
				() -> new ShutdownStartListener(progress, context,
						beanFactory.getBeanProvider(ApplicationAvailability.class)));
		ParticipantRunner participants = shared(beanFactory, "gracefulShutdownParticipants", ParticipantRunner.class,
				() -> new ParticipantRunner(progress, beanFactory, properties.getParticipants().getTimeout(),
						properties.getParticipants().getCancelGrace(), properties.reserveAfterDrain()));
		unlessDefined(beanFactory, "gracefulShutdownParticipantsStarter", ParticipantRunner.Starter.class,
				participants::starter);
		unlessDefined(beanFactory, "gracefulShutdownSummary", ShutdownSummary.class,
				() -> new ShutdownSummary(progress));
		CleanupRegistry cleanups = shared(beanFactory, "gracefulShutdownCleanups", CleanupRegistry.class,
				() -> new CleanupRegistry(properties.getCleanup().getTimeout()));
		unlessDefined(beanFactory, "gracefulShutdownCleanupRunner", CleanupRunner.class,
				() -> new CleanupRunner(progress, cleanups));
		WorkTracker workTracker = shared(beanFactory, "gracefulShutdownWorkTracker", WorkTracker.class,
				() -> new WorkRegistry(progress));
		unlessDefined(beanFactory, "gracefulShutdownTaskDrain", TaskDrain.class,
				() -> new TaskDrain(progress, workRegistry(workTracker),
						beanFactory.getBeanProvider(ExecutorTracking.class), properties.getTasks().getTimeout(),
						properties.getTasks().getCancelGrace(), properties.getCleanup().getTimeout()));
		unlessDefined(beanFactory, "gracefulShutdownPlanLogger", ShutdownPlanLogger.class,
				() -> new ShutdownPlanLogger(plan, cleanups, participants,
						beanFactory.getBeanProvider(DiscoveryPropagation.class)));
		registerPostProcessors(beanFactory, properties.getTasks());
	}

	/**
	 * The two bean post-processors: the one that registers {@code @OnShutdown} methods,
	 * and, unless turned off, the one that tracks Spring's executors for the tasks step.
	 * Registered as singletons, they get neither the bean factory nor the callback once
	 * every singleton exists: the first gets both from here.
	 */
	private void registerPostProcessors(ConfigurableListableBeanFactory beanFactory,
			GracefulShutdownProperties.Tasks tasks) {
		if (Singletons.defined(beanFactory, OnShutdownAnnotationBeanPostProcessor.class).length == 0) {
			OnShutdownAnnotationBeanPostProcessor onShutdown = new OnShutdownAnnotationBeanPostProcessor(
					beanFactory.getBeanProvider(ShutdownCleanups.class));
			onShutdown.setBeanFactory(beanFactory);
			this.onShutdownMethods = Singletons.register(beanFactory,
					"gracefulShutdownOnShutdownAnnotationBeanPostProcessor", onShutdown);
		}
		if (tasks.isTrackExecutors()) {
			unlessDefined(beanFactory, "gracefulShutdownExecutorTracking", ExecutorTracking.class,
					() -> new ExecutorTracking(beanFactory.getBeanProvider(WorkTracker.class),
							tasks.getExcludedExecutors()));
		}
	}

	private static WorkRegistry workRegistry(WorkTracker workTracker) {
		if (!(workTracker instanceof WorkRegistry registry)) {
			throw new IllegalStateException("The WorkTracker bean must be the starter's own (a "
					+ WorkRegistry.class.getName() + "), not a " + workTracker.getClass().getName()
					+ ": remove your WorkTracker bean, or set graceful.shutdown.enabled=false");
		}
		return registry;
	}

	/**
	 * Once every singleton exists: check the {@code @OnShutdown} methods of the beans that
	 * are not singletons, find the participants, add the application's
	 * {@link ShutdownListener shutdown listeners} to the record, and give the watchdog
	 * the diagnostics it prints when the shutdown overruns its budget.
	 */
	@Override
	public void afterSingletonsInstantiated() {
		ConfigurableListableBeanFactory beanFactory = this.beanFactory;
		if (beanFactory == null) {
			return;
		}
		OnShutdownAnnotationBeanPostProcessor onShutdownMethods = this.onShutdownMethods;
		if (onShutdownMethods != null) {
			onShutdownMethods.afterSingletonsInstantiated();
		}
		ShutdownRecorder progress = beanFactory.getBean(ShutdownRecorder.class);
		ParticipantRunner participants = beanFactory.getBeanProvider(ParticipantRunner.class).getIfUnique();
		if (participants != null) {
			participants.resolve();
		}
		beanFactory.getBeanProvider(ShutdownListener.class).orderedStream().forEach(progress::addListener);
		ShutdownWatchdog watchdog = beanFactory.getBeanProvider(ShutdownWatchdog.class).getIfUnique();
		if (watchdog != null) {
			WorkRegistry work = WorkTrackers.registry(beanFactory.getBeanProvider(WorkTracker.class));
			RequestTracker requests = beanFactory.getBeanProvider(RequestTracker.class).getIfUnique();
			// Created when the watchdog needs it, at an overrun shutdown's end.
			watchdog.describeWith(() -> new ShutdownDiagnostics(progress, work, requests, participants).describe());
		}
	}

}
