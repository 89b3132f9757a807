package dev.graceful.shutdown.autoconfigure;

import java.nio.file.Path;
import java.util.Objects;
import java.util.StringJoiner;

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
import org.springframework.util.ClassUtils;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.cleanup.CleanupRegistry;
import dev.graceful.shutdown.cleanup.CleanupRunner;
import dev.graceful.shutdown.cleanup.OnShutdownAnnotationBeanPostProcessor;
import dev.graceful.shutdown.metrics.DeferredMeterRegistryClosing;
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

import static dev.graceful.shutdown.autoconfigure.Singletons.register;

/**
 * Registers the parts of graceful shutdown that every application has as ready-made
 * singletons, before any bean is created: the budget and the record of the shutdown, its
 * plan, its start (readiness), the shutdown participants, the {@link WorkTracker} and the
 * tasks step, the cleanups, the summary and, when {@code graceful.shutdown.report.file}
 * is set, the report file; and the bean post-processors of {@code @OnShutdown} methods
 * and of Spring's executors. In a servlet or reactive application it then registers the
 * web parts, those of the stack and the hand-off of the streams ({@link WebPartsRegistrar});
 * then the health contributor and the meters ({@link HealthAndMetricsRegistrar}). All in
 * the same pass rather than from auto-configurations of their own, each of which the
 * startup would read, match and create a bean for. Spring then finds them by type
 * (lifecycles, listeners, injection points) without parsing, matching or inspecting a
 * bean definition for each: one object here costs the startup its class only, a
 * {@code @Bean} method several times that.
 * <p>
 * Each part keeps the bean name it always had. An application's bean of a part's type
 * replaces it, as a {@code @ConditionalOnMissingBean} would; a bean of a part's name but
 * another type fails the startup with a message that says so. The properties are bound
 * here, once, and the object is the {@code graceful.shutdown} properties bean that
 * {@code /actuator/configprops} shows. With {@code graceful.shutdown.enabled=false} it
 * registers the {@link WorkTracker} and the {@link ShutdownCleanups} only, both inert.
 * <p>
 * An application processed ahead of time runs this post-processor again when it starts
 * (its bean definition is in the generated code), and it registers the parts then; the
 * definitions it registers with an instance supplier are left out of the processing by
 * {@link ShutdownPartsBeanRegistrationExcludeFilter}.
 */
final class ShutdownCoreRegistrar implements BeanFactoryPostProcessor, Ordered, SmartInitializingSingleton,
		EnvironmentAware, ApplicationContextAware {

	private static final String WEB_SERVER_CONTEXT = "org.springframework.boot.web.server.context."
			+ "WebServerApplicationContext";

	private static final String SERVLET_CONTEXT = "org.springframework.web.context.WebApplicationContext";

	private static final String REACTIVE_CONTEXT = "org.springframework.boot.web.context.reactive."
			+ "ReactiveWebApplicationContext";

	/** Start of the names of the starter's auto-configurations, which are their beans' names. */
	private static final String AUTO_CONFIGURATION_PREFIX = "dev.graceful.shutdown.autoconfigure.GracefulShutdown";

	static final String PROPERTIES_BEAN_NAME = GracefulShutdownProperties.PREFIX + "-"
			+ GracefulShutdownProperties.class.getName();

	private @Nullable Environment environment;

	private @Nullable ApplicationContext applicationContext;

	private @Nullable ConfigurableListableBeanFactory beanFactory;

	private @Nullable OnShutdownAnnotationBeanPostProcessor onShutdownMethods;

	private @Nullable DeferredMeterRegistryClosing registryClosing;

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
		Environment environment = Objects.requireNonNull(this.environment, "environment");
		ApplicationContext context = Objects.requireNonNull(this.applicationContext, "applicationContext");
		Binder binder = Binder.get(environment);
		// The definition @EnableConfigurationProperties made stays, so that the properties
		// are listed as such; the object bound here is its instance.
		GracefulShutdownProperties properties = binder.bindOrCreate(GracefulShutdownProperties.PREFIX,
				GracefulShutdownProperties.class);
		beanFactory.registerSingleton(PROPERTIES_BEAN_NAME, properties);
		if (!properties.isEnabled()) {
			rejectIntegrationsWithoutParts(beanFactory);
			registerInertApi(beanFactory, properties);
			return;
		}
		this.beanFactory = beanFactory;
		CloudPlatform platform = CloudPlatform.getActive(environment);
		// Every step records in the recorder: checking the settings first fails the startup
		// before any step exists.
		properties.check(platform);
		// The watchdog installer registered the budget whose clock the JVM's exit starts,
		// when the application was started with SpringApplication.
		Singletons parts = Singletons.of(beanFactory);
		ShutdownBudget budget = parts.existing(ShutdownBudget.class);
		if (budget == null) {
			budget = register(beanFactory, "gracefulShutdownBudget", new ShutdownBudget(properties.getTimeout()));
		}
		ShutdownRecorder progress = parts.existing(ShutdownRecorder.class);
		if (progress == null) {
			progress = register(beanFactory, "gracefulShutdownProgress", new ShutdownRecorder(budget));
		}
		ShutdownPlan plan = parts.existing(ShutdownPlan.class);
		if (plan == null) {
			plan = register(beanFactory, "gracefulShutdownPlan",
					properties.plan(platform, Singletons.phaseTimeout(binder)));
		}
		Path reportFile = properties.getReport().getFile();
		if (reportFile != null && parts.absent(ReportFile.class)) {
			register(beanFactory, "gracefulShutdownReportFile", new ReportFile(reportFile));
		}
		if (parts.absent(ShutdownStartListener.class)) {
			register(beanFactory, "gracefulShutdownStartListener", new ShutdownStartListener(progress, context,
					beanFactory.getBeanProvider(ApplicationAvailability.class)));
		}
		ParticipantRunner participants = parts.existing(ParticipantRunner.class);
		if (participants == null) {
			participants = register(beanFactory, "gracefulShutdownParticipants",
					new ParticipantRunner(progress, beanFactory, properties.getParticipants().getTimeout(),
							properties.getParticipants().getCancelGrace(), properties.reserveAfterDrain()));
		}
		if (parts.absent(ParticipantRunner.Starter.class)) {
			register(beanFactory, "gracefulShutdownParticipantsStarter", participants.starter());
		}
		if (parts.absent(ShutdownSummary.class)) {
			register(beanFactory, "gracefulShutdownSummary", new ShutdownSummary(progress));
		}
		CleanupRegistry cleanups = parts.existing(CleanupRegistry.class);
		if (cleanups == null) {
			cleanups = register(beanFactory, "gracefulShutdownCleanups",
					new CleanupRegistry(properties.getCleanup().getTimeout()));
		}
		if (parts.absent(CleanupRunner.class)) {
			register(beanFactory, "gracefulShutdownCleanupRunner", new CleanupRunner(progress, cleanups));
		}
		WorkTracker workTracker = parts.existing(WorkTracker.class);
		if (workTracker == null) {
			workTracker = register(beanFactory, "gracefulShutdownWorkTracker", new WorkRegistry(progress));
		}
		if (parts.absent(TaskDrain.class)) {
			GracefulShutdownProperties.Tasks tasks = properties.getTasks();
			register(beanFactory, "gracefulShutdownTaskDrain",
					new TaskDrain(progress, workRegistry(workTracker),
							beanFactory.getBeanProvider(ExecutorTracking.class), tasks.getTimeout(),
							tasks.getCancelGrace(), properties.getCleanup().getTimeout()));
		}
		if (parts.absent(ShutdownPlanLogger.class)) {
			register(beanFactory, "gracefulShutdownPlanLogger",
					new ShutdownPlanLogger(plan, cleanups, participants, beanFactory));
		}
		registerPostProcessors(beanFactory, parts, properties.getTasks());
		ClassLoader classLoader = beanFactory.getBeanClassLoader();
		if (ClassUtils.isPresent(WEB_SERVER_CONTEXT, classLoader)) {
			if (isInstance(SERVLET_CONTEXT, context, classLoader)) {
				WebPartsRegistrar.register(beanFactory, parts, context, properties, true);
			}
			else if (isInstance(REACTIVE_CONTEXT, context, classLoader)) {
				WebPartsRegistrar.register(beanFactory, parts, context, properties, false);
			}
		}
		this.registryClosing = HealthAndMetricsRegistrar.register(beanFactory, parts, context, progress,
				properties.getMetrics().isDeferRegistryClose());
	}

	/**
	 * Fail with the property and the fix where another of the starter's
	 * auto-configurations is defined although graceful shutdown is off: its beans need the
	 * parts that are then not registered. That happens only in an application processed
	 * ahead of time with graceful shutdown on and run with it off, because the conditions
	 * that leave those auto-configurations out were evaluated when it was processed.
	 */
	private static void rejectIntegrationsWithoutParts(ConfigurableListableBeanFactory beanFactory) {
		StringJoiner integrations = new StringJoiner(", ");
		for (String name : beanFactory.getBeanDefinitionNames()) {
			if (name.startsWith(AUTO_CONFIGURATION_PREFIX) && name.endsWith("AutoConfiguration")
					&& !name.equals(GracefulShutdownAutoConfiguration.class.getName())) {
				integrations.add(name.substring(name.lastIndexOf('.') + 1));
			}
		}
		if (integrations.length() > 0) {
			throw InvalidShutdownPropertyException.of(GracefulShutdownProperties.ENABLED,
					"false when the application runs, but it was processed ahead of time with graceful shutdown on, "
							+ "and " + integrations + " processed then need(s) the parts that are not registered now",
					"Set " + GracefulShutdownProperties.ENABLED + "=false when the application is processed ahead of "
							+ "time as well (auto-configuration conditions are evaluated then), or leave it on");
		}
	}

	/**
	 * With {@code graceful.shutdown.enabled=false}: the public API stays injectable, so
	 * that turning the starter off never breaks the application, but inert. Spring Boot's
	 * own shutdown applies: work started with {@link WorkTracker} is not awaited, cleanups
	 * registered with {@link ShutdownCleanups} do not run, and shutdown participants are
	 * not called.
	 */
	private static void registerInertApi(ConfigurableListableBeanFactory beanFactory,
			GracefulShutdownProperties properties) {
		Singletons parts = Singletons.of(beanFactory);
		if (parts.absent(WorkTracker.class)) {
			// A shutdown that never begins: the tracker counts work but nothing waits for it.
			register(beanFactory, "gracefulShutdownWorkTracker",
					new WorkRegistry(new ShutdownRecorder(new ShutdownBudget(properties.getTimeout()))));
		}
		if (parts.absent(ShutdownCleanups.class)) {
			register(beanFactory, "gracefulShutdownCleanups",
					new CleanupRegistry(properties.getCleanup().getTimeout()));
		}
	}

	private static boolean isInstance(String className, Object object, @Nullable ClassLoader classLoader) {
		return ClassUtils.isPresent(className, classLoader)
				&& ClassUtils.resolveClassName(className, classLoader).isInstance(object);
	}

	/**
	 * The two bean post-processors: the one that registers {@code @OnShutdown} methods,
	 * and, unless turned off, the one that tracks Spring's executors for the tasks step.
	 * Registered as singletons, they get neither the bean factory nor the callback once
	 * every singleton exists: the first gets both from here.
	 */
	private void registerPostProcessors(ConfigurableListableBeanFactory beanFactory, Singletons parts,
			GracefulShutdownProperties.Tasks tasks) {
		if (parts.absent(OnShutdownAnnotationBeanPostProcessor.class)) {
			OnShutdownAnnotationBeanPostProcessor onShutdown = new OnShutdownAnnotationBeanPostProcessor(
					beanFactory.getBeanProvider(ShutdownCleanups.class));
			onShutdown.setBeanFactory(beanFactory);
			this.onShutdownMethods = Singletons.register(beanFactory,
					"gracefulShutdownOnShutdownAnnotationBeanPostProcessor", onShutdown);
		}
		if (tasks.isTrackExecutors() && parts.absent(ExecutorTracking.class)) {
			register(beanFactory, "gracefulShutdownExecutorTracking", new ExecutorTracking(
					beanFactory.getBeanProvider(WorkTracker.class), tasks.getExcludedExecutors()));
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
		DeferredMeterRegistryClosing registryClosing = this.registryClosing;
		if (registryClosing != null) {
			registryClosing.afterSingletonsInstantiated();
		}
		ShutdownRecorder progress = beanFactory.getBean(ShutdownRecorder.class);
		ParticipantRunner participants = beanFactory.getBeanProvider(ParticipantRunner.class).getIfUnique();
		if (participants != null) {
			participants.resolve();
		}
		for (ShutdownListener listener : beanFactory.getBeanProvider(ShutdownListener.class).orderedStream().toList()) {
			progress.addListener(listener);
		}
		ShutdownWatchdog watchdog = beanFactory.getBeanProvider(ShutdownWatchdog.class).getIfUnique();
		if (watchdog != null) {
			WorkRegistry work = Singletons.workRegistry(beanFactory.getBeanProvider(WorkTracker.class));
			RequestTracker requests = beanFactory.getBeanProvider(RequestTracker.class).getIfUnique();
			// Created when the watchdog needs it, at an overrun shutdown's end.
			watchdog.describeWith(() -> new ShutdownDiagnostics(progress, work, requests, participants).describe());
		}
	}

}
