package dev.graceful.shutdown.autoconfigure;

import java.util.List;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationContext;
import org.springframework.util.ClassUtils;

import dev.graceful.shutdown.delay.LameDuckDelay;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.DrainMonitor;
import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.WebServerDrain;

/**
 * Registers the web parts as ready-made singletons, after the core's (see
 * {@link ShutdownCoreRegistrar}, which calls it in a servlet or reactive application):
 * the request count, the delay and the drain monitor with its start marker; then those of
 * the application's stack ({@link ServletPartsRegistrar}, {@link ReactivePartsRegistrar})
 * and, unless {@code graceful.shutdown.web.streams.enabled} is {@code false}, the
 * hand-off of its long-lived streams ({@link StreamPartsRegistrar}).
 */
final class WebPartsRegistrar {

	private static final String WEB_ENDPOINT_PROPERTIES = "org.springframework.boot.actuate.autoconfigure.endpoint.web."
			+ "WebEndpointProperties";

	private static final String WEB_ENDPOINT_BASE_PATH = "management.endpoints.web.base-path";

	private static final String DEFAULT_WEB_ENDPOINT_BASE_PATH = "/actuator";

	static final String SERVLET_FILTER = "jakarta.servlet.Filter";

	static final String WEB_FILTER = "org.springframework.web.server.WebFilter";

	private WebPartsRegistrar() {
	}

	/**
	 * Registers the web parts, those of the stack, and the hand-off of the streams.
	 * @param beanFactory the bean factory
	 * @param parts the application's definitions, as the core registrar found them (it
	 * registers singletons only, which each check looks at anew)
	 * @param context the application context, a servlet or a reactive one
	 * @param properties the bound properties
	 * @param servlet whether the application is a servlet one, else a reactive one
	 */
	static void register(ConfigurableListableBeanFactory beanFactory, Singletons parts, ApplicationContext context,
			GracefulShutdownProperties properties, boolean servlet) {
		Binder binder = Binder.get(context.getEnvironment());
		ShutdownRecorder progress = beanFactory.getBean(ShutdownRecorder.class);
		RequestTracker defined = parts.existing(RequestTracker.class);
		RequestTracker tracker = (defined != null) ? defined
				: Singletons.register(beanFactory, "gracefulShutdownRequestTracker",
						new RequestTracker(progress, ignoredPaths(properties, beanFactory, binder)));
		CloudPlatform platform = CloudPlatform.getActive(context.getEnvironment());
		if (parts.absent(LameDuckDelay.class)) {
			Singletons.register(beanFactory, "gracefulShutdownDelay", new LameDuckDelay(progress,
					properties.delay(platform), properties.quietPeriod(platform), tracker::lastArrivalNanos));
		}
		DrainMonitor drainMonitor = parts.existing(DrainMonitor.class);
		if (drainMonitor == null) {
			drainMonitor = Singletons.register(beanFactory, "gracefulShutdownDrainMonitor",
					new DrainMonitor(progress, tracker, new WebServerDrain(context), Singletons.phaseTimeout(binder),
							properties.reserveAfterDrain()));
		}
		if (parts.absent(DrainMonitor.StartMarker.class)) {
			Singletons.register(beanFactory, "gracefulShutdownDrainStartMarker", drainMonitor.startMarker());
		}
		boolean connectionClose = properties.getWeb().isConnectionClose();
		ClassLoader classLoader = beanFactory.getBeanClassLoader();
		if (servlet) {
			if (ClassUtils.isPresent(SERVLET_FILTER, classLoader)) {
				ServletPartsRegistrar.register(beanFactory, parts, tracker, connectionClose);
			}
		}
		else if (ClassUtils.isPresent(WEB_FILTER, classLoader)) {
			ReactivePartsRegistrar.register(beanFactory, parts, context.getEnvironment(), tracker, drainMonitor,
					connectionClose);
		}
		GracefulShutdownProperties.Streams streams = properties.getWeb().getStreams();
		if (streams.isEnabled()) {
			StreamPartsRegistrar.register(beanFactory, parts, streams, servlet);
		}
	}

	/**
	 * The paths whose requests do not end the quiet period: those set, else the
	 * Actuator's, which balancers and the kubelet keep probing after they stop routing
	 * traffic. Its base path is read from the environment: its properties bean is not
	 * bound yet.
	 */
	private static List<String> ignoredPaths(GracefulShutdownProperties properties,
			ConfigurableListableBeanFactory beanFactory, Binder binder) {
		List<String> ignored = properties.getWeb().getQuietPeriodIgnoredPaths();
		if (!ignored.isEmpty() || !hasWebEndpoints(beanFactory)) {
			return ignored;
		}
		String basePath = binder.bind(WEB_ENDPOINT_BASE_PATH, String.class).orElse(DEFAULT_WEB_ENDPOINT_BASE_PATH);
		return List.of(basePath.endsWith("/") ? basePath : basePath + "/");
	}

	private static boolean hasWebEndpoints(ConfigurableListableBeanFactory beanFactory) {
		ClassLoader classLoader = beanFactory.getBeanClassLoader();
		if (!ClassUtils.isPresent(WEB_ENDPOINT_PROPERTIES, classLoader)) {
			return false;
		}
		return beanFactory.getBeanNamesForType(ClassUtils.resolveClassName(WEB_ENDPOINT_PROPERTIES, classLoader), true,
				false).length > 0;
	}

}
