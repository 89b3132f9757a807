package dev.graceful.shutdown.autoconfigure;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.preinitialize.BackgroundPreinitializer;
import org.springframework.core.env.Environment;

/**
 * Loads, on Spring Boot's background preinitialization thread, the classes of the parts
 * that this application will register, so that the thread that starts the application
 * finds them loaded when it registers the parts. In an executable jar each class costs
 * its lookup through every jar ahead of the starter's on the class path, which is most of
 * what the starter adds to the startup (bench/README.md, "Startup instructions").
 * <p>
 * Only the classes the application is going to load anyway: the parts follow from
 * {@code graceful.shutdown.*}, the web application type and the classes present, which
 * {@link WatchdogInstaller} hands over once the environment is prepared (the same
 * conditions as the registrars', for example {@link ServletPartsRegistrar}). The
 * properties' classes come first, with what the binder reads of them by reflection.
 * With each part come the classes of other libraries that it names as it is created or
 * does its work at startup (Netty's, the Servlet API's, Micrometer's, ...): the
 * application loads them anyway, later, and the part would otherwise be the first to.
 * Classes that are not loaded by name (lambdas) and those the installer needs before this
 * thread can run stay on the main thread. Classes are loaded and linked, not initialized:
 * no static initializer runs ahead of its time but that of {@link Singletons}, whose
 * check of the classes present this uses and which only sets constants.
 * <p>
 * Spring Boot runs it only where it runs its own preinitialization: with more than one
 * processor, not in a native image, and not with
 * {@code -Dspring.backgroundpreinitializer.ignore=true}; then everything loads on the
 * main thread, as before. Registered in {@code META-INF/spring.factories}.
 */
final class StartupPreloader implements BackgroundPreinitializer {

	private static final String PACKAGE = "dev.graceful.shutdown.";

	/** The properties' classes' prefix, as text: a class literal would load the class. */
	private static final String PROPERTIES = PACKAGE + "autoconfigure.GracefulShutdownProperties";

	private static final String WEB_APPLICATION_TYPE = "spring.main.web-application-type";

	/**
	 * How long to wait for the environment: Spring Boot starts this thread as the
	 * environment is prepared, and the installer hands it over in the same event.
	 */
	private static final long HAND_OVER_TIMEOUT_MILLIS = 1000;

	/**
	 * The properties' class and its nested classes (as suffixes of {@link #PROPERTIES}),
	 * which the core registrar binds first.
	 */
	private static final String[] PROPERTIES_CLASSES = { "", "$Web", "$Streams", "$LastEvent", "$Watchdog",
			"$Report", "$Cleanup", "$Tasks", "$Participants", "$Messaging", "$Metrics", "$Discovery" };

	/** The core parts, those of every application with graceful shutdown on. */
	private static final String[] CORE = { "autoconfigure.GracefulShutdownAutoConfiguration",
			"autoconfigure.ShutdownCoreRegistrar", "autoconfigure.Singletons", "autoconfigure.ShutdownPlanLogger",
			"autoconfigure.HealthAndMetricsRegistrar", "OnShutdown", "ShutdownCleanups", "ShutdownCleanups$Action",
			"ShutdownListener", "ShutdownParticipant", "ShutdownParticipant$Context", "ShutdownParticipant$Start",
			"ShutdownProgress", "ShutdownProgress$State", "ShutdownReport", "ShutdownReport$Cleanup",
			"ShutdownReport$Phase", "WorkTracker", "WorkTracker$Work", "cleanup.CleanupRegistry",
			"cleanup.CleanupRunner", "cleanup.OnShutdownAnnotationBeanPostProcessor", "participant.ParticipantRunner",
			"participant.ParticipantRunner$Starter", "readiness.ShutdownStartListener", "report.ShutdownSummary",
			"tasks.TaskDrain", "tasks.WorkRegistry", "timeline.ShutdownLifecycle", "timeline.ShutdownPlan",
			"timeline.ShutdownRecorder", "timeline.ShutdownTimeline" };

	/** With {@code graceful.shutdown.tasks.track-executors}. */
	private static final String[] EXECUTOR_TRACKING = { "tasks.ExecutorTracking" };

	/** In a servlet or reactive application. */
	private static final String[] WEB = { "autoconfigure.WebPartsRegistrar", "delay.LameDuckDelay",
			"web.DrainMonitor", "web.DrainMonitor$StartMarker", "web.RequestTracker", "web.WebServerDrain" };

	private static final String[] SERVLET = { "autoconfigure.ServletPartsRegistrar",
			"web.servlet.InFlightRequestFilter" };

	private static final String[] TOMCAT = { "autoconfigure.ServletPartsRegistrar$TomcatParts",
			"web.servlet.ContainerRequestCount", "web.servlet.TomcatRequestCounting" };

	private static final String[] REACTIVE = { "autoconfigure.ReactivePartsRegistrar",
			"web.reactive.InFlightWebFilter", "web.reactive.InFlightWebFilter$Counted" };

	private static final String[] REACTOR_NETTY = { "autoconfigure.ReactivePartsRegistrar$NettyParts",
			"web.reactive.NettyRequestTracking" };

	/**
	 * With the Reactor Netty parts: the classes of Netty, Reactor Netty and WebFlux that
	 * they name as they are created and customize the server (whole names). A Reactor
	 * Netty server loads them all the same, but later: the parts would otherwise load them
	 * on the main thread.
	 */
	private static final String[] REACTOR_NETTY_LIBRARIES = { "io.netty.util.concurrent.EventExecutorGroup",
			"io.netty.util.concurrent.EventExecutor", "io.netty.util.concurrent.Future",
			"io.netty.util.concurrent.GenericFutureListener", "io.netty.util.Constant",
			"io.netty.util.AbstractConstant", "io.netty.util.ConstantPool", "io.netty.util.AttributeKey",
			"io.netty.util.AttributeKey$1", "io.netty.util.internal.ObjectUtil", "io.netty.channel.ChannelHandler",
			"io.netty.channel.Channel", "io.netty.channel.ChannelFuture", "io.netty.channel.ChannelFutureListener",
			"reactor.netty.Connection", "reactor.netty.ConnectionObserver", "reactor.netty.ChannelPipelineConfigurer",
			"reactor.netty.DisposableServer", "org.springframework.web.server.adapter.WebHttpHandlerBuilder",
			"org.springframework.boot.webflux.autoconfigure.WebHttpHandlerBuilderCustomizer" };

	/** With executor tracking: the executor types it checks each bean against. */
	private static final String[] EXECUTOR_LIBRARIES = { "org.springframework.core.task.TaskDecorator",
			"org.springframework.core.task.SimpleAsyncTaskExecutor",
			"org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor",
			"org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler" };

	/** With the servlet parts: the Servlet API's and Spring Boot's types they register with. */
	private static final String[] SERVLET_LIBRARIES = { "jakarta.servlet.DispatcherType",
			"jakarta.servlet.Registration$Dynamic", "jakarta.servlet.AsyncListener",
			"org.springframework.boot.web.servlet.FilterRegistrationBean",
			"org.springframework.boot.web.servlet.ServletRegistrationBean" };

	/** With the Tomcat parts: Tomcat's type they customize the context with. */
	private static final String[] TOMCAT_LIBRARIES = { "org.apache.catalina.core.StandardContext" };

	/** With the SSE tracking: the Spring MVC types it reflects on and post-processes. */
	private static final String[] SSE_LIBRARIES = {
			"org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter",
			"org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter$Handler",
			"org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitterReturnValueHandler",
			"org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter" };

	/** With the meters: Micrometer's meter types and builders they register. */
	private static final String[] METRICS_LIBRARIES = { "io.micrometer.core.instrument.Gauge",
			"io.micrometer.core.instrument.Gauge$Builder", "io.micrometer.core.instrument.Counter",
			"io.micrometer.core.instrument.Counter$Builder", "io.micrometer.core.instrument.FunctionCounter",
			"io.micrometer.core.instrument.FunctionCounter$Builder" };

	/** With {@code graceful.shutdown.web.streams.enabled}. */
	private static final String[] STREAMS = { "autoconfigure.StreamPartsRegistrar", "StreamHandOffListener$Kind",
			"participant.OptionalParticipant", "streams.LastEvent", "streams.OpenStreams", "streams.StreamHandOff",
			"streams.StreamSettings" };

	private static final String[] STREAM_METERS = { "streams.StreamMeters" };

	private static final String[] SERVLET_STREAMS = { "autoconfigure.StreamPartsRegistrar$ServletParts" };

	private static final String[] SSE = { "streams.servlet.SseEmitterTracking",
			"streams.servlet.SseEmitterTracking$TrackingReturnValueHandler" };

	private static final String[] WEBSOCKETS = { "streams.servlet.WebSocketSessionTracking",
			"streams.servlet.TrackedSessions" };

	private static final String[] STOMP = { "streams.servlet.StompSessionTracking" };

	private static final String[] REACTIVE_STREAMS = { "autoconfigure.StreamPartsRegistrar$ReactiveParts",
			"streams.reactive.EventStreamHandOffFilter", "streams.reactive.WebSocketHandlerAdapterTracking",
			"streams.reactive.WebSocketHandlerAdapterTracking$TrackingAdapter", "StreamHandOffListener$OpenStream",
			"streams.OpenStreams$Stream" };

	/** With Actuator's endpoints: a condition of the endpoint's auto-configuration names it. */
	private static final String[] ENDPOINT = { "actuate.GracefulShutdownEndpoint" };

	private static final String ENDPOINT_ANNOTATION = "org.springframework.boot.actuate.endpoint.annotation.Endpoint";

	private static final String[] HEALTH = { "actuate.GracefulShutdownHealthIndicator" };

	private static final String[] METRICS = { "metrics.GracefulShutdownMetrics",
			"metrics.DeferredMeterRegistryClosing" };

	/** Counted down when the first application run in this JVM has its environment. */
	private static final CountDownLatch environmentPrepared = new CountDownLatch(1);

	private static volatile @Nullable Facts facts;

	/**
	 * Hands over what decides the parts of an application whose environment is prepared,
	 * on the main thread. Called by {@link WatchdogInstaller}, for every run: the
	 * preinitialization runs once in a JVM, for its first.
	 * @param enabled whether graceful shutdown is on ({@code false} also if its properties
	 * cannot be bound: the startup then fails, naming the property)
	 * @param environment the application's environment
	 * @param application the application
	 */
	static void environmentPrepared(boolean enabled, Environment environment, SpringApplication application) {
		try {
			if (enabled) {
				facts = facts(environment, application);
			}
		}
		finally {
			// Also when a value cannot be read (the startup then fails): Spring Boot awaits
			// the preinitialization before it reports the failure.
			environmentPrepared.countDown();
		}
	}

	/**
	 * What decides the parts of an application with graceful shutdown on, read from its
	 * environment.
	 * @param environment the application's environment
	 * @param application the application
	 * @return the facts
	 */
	static Facts facts(Environment environment, SpringApplication application) {
		return new Facts(webApplicationType(environment, application),
				environment.getProperty(GracefulShutdownProperties.TRACK_EXECUTORS, Boolean.class, true),
				environment.getProperty(GracefulShutdownProperties.STREAMS_ENABLED, Boolean.class, true),
				healthContributorEnabled(environment), application.getClassLoader());
	}

	/**
	 * Whether the health contributor is on: {@code management.health.gracefulshutdown.enabled},
	 * else {@code management.health.defaults.enabled}, else on.
	 * Here, where it is read on the main thread as the environment is prepared, and by the
	 * registrar (the constants it reads do not load the properties' class).
	 * @param environment the environment
	 * @return whether it is on
	 */
	static boolean healthContributorEnabled(Environment environment) {
		Boolean enabled = environment.getProperty(GracefulShutdownProperties.HEALTH_ENABLED, Boolean.class);
		if (enabled != null) {
			return enabled;
		}
		return environment.getProperty(GracefulShutdownProperties.HEALTH_DEFAULTS_ENABLED, Boolean.class, true);
	}

	/**
	 * Forgets the facts once the application has started or failed: the preinitialization
	 * has ended by then (Spring Boot awaits it first).
	 */
	static void startupEnded() {
		facts = null;
	}

	/**
	 * The type the application will have: {@code spring.main.web-application-type} is
	 * bound to the application right after this event.
	 */
	private static WebApplicationType webApplicationType(Environment environment, SpringApplication application) {
		String type = environment.getProperty(WEB_APPLICATION_TYPE);
		if (type != null) {
			try {
				return WebApplicationType.valueOf(type.trim().toUpperCase(Locale.ROOT));
			}
			catch (IllegalArgumentException ex) {
				// Spring Boot rejects it when it binds it.
			}
		}
		return application.getWebApplicationType();
	}

	@Override
	public void preinitialize() throws InterruptedException {
		if (!environmentPrepared.await(HAND_OVER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
			return;
		}
		Facts facts = StartupPreloader.facts;
		if (facts == null) {
			return;
		}
		for (String name : classNames(facts)) {
			try {
				Class<?> type = Class.forName(name, false, facts.classLoader());
				if (name.startsWith(PROPERTIES)) {
					// What the binder reads of each: the JVM keeps it, and links the class.
					type.getDeclaredMethods();
					type.getDeclaredFields();
					type.getDeclaredConstructors();
				}
			}
			catch (ClassNotFoundException | LinkageError ex) {
				// Not loadable here: the main thread meets the same when it needs it.
			}
		}
	}

	/**
	 * The classes of the parts that the registrars register for an application with graceful
	 * shutdown on and these facts, in the order in which they need them.
	 * @param facts what decides the parts
	 * @return the names of the classes
	 */
	static List<String> classNames(Facts facts) {
		ClassLoader classLoader = facts.classLoader();
		WebApplicationType type = facts.type();
		List<String> names = new ArrayList<>(96);
		for (String name : PROPERTIES_CLASSES) {
			names.add(PROPERTIES + name);
		}
		add(names, CORE);
		if (facts.trackExecutors()) {
			add(names, EXECUTOR_TRACKING);
			names.addAll(Arrays.asList(EXECUTOR_LIBRARIES));
		}
		boolean servlet = type == WebApplicationType.SERVLET
				&& Singletons.allPresent(classLoader, WebPartsRegistrar.SERVLET_FILTER);
		boolean reactive = type == WebApplicationType.REACTIVE
				&& Singletons.allPresent(classLoader, WebPartsRegistrar.WEB_FILTER);
		if (servlet || reactive) {
			add(names, WEB);
		}
		if (servlet) {
			add(names, SERVLET);
			names.addAll(Arrays.asList(SERVLET_LIBRARIES));
			if (Singletons.allPresent(classLoader, ServletPartsRegistrar.TOMCAT,
					ServletPartsRegistrar.TOMCAT_CUSTOMIZER)) {
				add(names, TOMCAT);
				names.addAll(Arrays.asList(TOMCAT_LIBRARIES));
			}
		}
		if (reactive) {
			add(names, REACTIVE);
			if (Singletons.allPresent(classLoader, ReactivePartsRegistrar.REACTOR_NETTY,
					ReactivePartsRegistrar.NETTY_CUSTOMIZER, ReactivePartsRegistrar.WEBFLUX_PROPERTIES)) {
				add(names, REACTOR_NETTY);
				names.addAll(Arrays.asList(REACTOR_NETTY_LIBRARIES));
			}
		}
		if ((servlet || reactive) && facts.streams()) {
			add(names, STREAMS);
			if (Singletons.allPresent(classLoader, StreamPartsRegistrar.METER_BINDER)) {
				add(names, STREAM_METERS);
			}
			if (servlet) {
				boolean sse = Singletons.allPresent(classLoader, StreamPartsRegistrar.SSE_EMITTER);
				boolean webSockets = Singletons.allPresent(classLoader, StreamPartsRegistrar.WEB_SOCKET_HANDLER);
				if (sse || webSockets) {
					add(names, SERVLET_STREAMS);
				}
				if (sse) {
					add(names, SSE);
					names.addAll(Arrays.asList(SSE_LIBRARIES));
				}
				if (webSockets) {
					add(names, WEBSOCKETS);
					if (Singletons.allPresent(classLoader, StreamPartsRegistrar.BROKER_MESSAGE_HANDLER)) {
						add(names, STOMP);
					}
				}
			}
			if (reactive && Singletons.allPresent(classLoader, StreamPartsRegistrar.WEB_SOCKET_HANDLER_ADAPTER)) {
				add(names, REACTIVE_STREAMS);
			}
		}
		if (Singletons.allPresent(classLoader, ENDPOINT_ANNOTATION)) {
			add(names, ENDPOINT);
		}
		if (facts.health() && Singletons.allPresent(classLoader, HealthAndMetricsRegistrar.HEALTH_INDICATOR)) {
			add(names, HEALTH);
		}
		if (Singletons.allPresent(classLoader, HealthAndMetricsRegistrar.METER_REGISTRY)) {
			add(names, METRICS);
			names.addAll(Arrays.asList(METRICS_LIBRARIES));
		}
		return Collections.unmodifiableList(names);
	}

	/**
	 * What decides the parts of an application with graceful shutdown on.
	 * @param type its web application type
	 * @param trackExecutors whether Spring's executors are tracked
	 * @param streams whether SSE and WebSocket streams are handed off
	 * @param health whether the health contributor is on
	 * @param classLoader its class loader
	 */
	record Facts(WebApplicationType type, boolean trackExecutors, boolean streams, boolean health,
			@Nullable ClassLoader classLoader) {
	}

	private static void add(List<String> names, String[] group) {
		for (String name : group) {
			names.add(PACKAGE + name);
		}
	}

}
