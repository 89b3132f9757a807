package dev.graceful.shutdown.autoconfigure;

import java.util.List;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.core.Ordered;
import org.springframework.util.ClassUtils;

import dev.graceful.shutdown.delay.LameDuckDelay;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.DrainMonitor;
import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.WebServerDrain;

import static dev.graceful.shutdown.autoconfigure.Singletons.shared;
import static dev.graceful.shutdown.autoconfigure.Singletons.unlessDefined;

/**
 * Registers the web parts as ready-made singletons, after the core's (see
 * {@link ShutdownCoreRegistrar}): the request count, the delay and the drain monitor
 * with its start marker.
 */
final class WebPartsRegistrar implements BeanFactoryPostProcessor, Ordered, ApplicationContextAware {

	private static final String WEB_ENDPOINT_PROPERTIES = "org.springframework.boot.actuate.autoconfigure.endpoint.web."
			+ "WebEndpointProperties";

	private static final String WEB_ENDPOINT_BASE_PATH = "management.endpoints.web.base-path";

	private static final String DEFAULT_WEB_ENDPOINT_BASE_PATH = "/actuator";

	private @Nullable ApplicationContext applicationContext;

	@Override
	public void setApplicationContext(ApplicationContext applicationContext) {
		this.applicationContext = applicationContext;
	}

	@Override
	public int getOrder() {
		return Singletons.WEB_ORDER;
	}

	@Override
	public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) throws BeansException {
		ApplicationContext context = Objects.requireNonNull(this.applicationContext, "applicationContext");
		Binder binder = Binder.get(context.getEnvironment());
		GracefulShutdownProperties properties = Singletons.properties(beanFactory);
		ShutdownRecorder progress = beanFactory.getBean(ShutdownRecorder.class);
		RequestTracker tracker = shared(beanFactory, "gracefulShutdownRequestTracker", RequestTracker.class,
				() -> new RequestTracker(progress, ignoredPaths(properties, beanFactory, binder)));
		CloudPlatform platform = CloudPlatform.getActive(context.getEnvironment());
		unlessDefined(beanFactory, "gracefulShutdownDelay", LameDuckDelay.class,
				() -> new LameDuckDelay(progress, properties.delay(platform), properties.quietPeriod(platform),
						tracker::lastArrivalNanos));
		DrainMonitor drainMonitor = shared(beanFactory, "gracefulShutdownDrainMonitor", DrainMonitor.class,
				() -> new DrainMonitor(progress, tracker, new WebServerDrain(context), Singletons.phaseTimeout(binder),
						properties.reserveAfterDrain()));
		unlessDefined(beanFactory, "gracefulShutdownDrainStartMarker", DrainMonitor.StartMarker.class,
				drainMonitor::startMarker);
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
