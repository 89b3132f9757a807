package dev.graceful.shutdown.autoconfigure;

import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointProperties;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.context.LifecycleProperties;
import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

import dev.graceful.shutdown.delay.LameDuckDelay;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.DrainMonitor;
import dev.graceful.shutdown.web.RequestTracker;
import dev.graceful.shutdown.web.WebServerDrain;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for the web steps shared by servlet and reactive applications: the
 * request tracker, the lame-duck delay and the drain monitor, placed around
 * {@link WebServerApplicationContext#GRACEFUL_SHUTDOWN_PHASE}.
 */
@AutoConfiguration(after = GracefulShutdownAutoConfiguration.class)
@ConditionalOnWebApplication
@ConditionalOnClass(WebServerApplicationContext.class)
@ConditionalOnGracefulShutdownEnabled
public final class GracefulShutdownWebAutoConfiguration {

	private static final String WEB_ENDPOINT_PROPERTIES = "org.springframework.boot.actuate.autoconfigure.endpoint.web."
			+ "WebEndpointProperties";

	@Bean
	@ConditionalOnMissingBean
	RequestTracker gracefulShutdownRequestTracker(ShutdownRecorder progress, GracefulShutdownProperties properties,
			ApplicationContext applicationContext) {
		List<String> ignored = properties.getWeb().getQuietPeriodIgnoredPaths();
		if (ignored.isEmpty() && ClassUtils.isPresent(WEB_ENDPOINT_PROPERTIES, applicationContext.getClassLoader())) {
			ignored = ActuatorPaths.basePath(applicationContext);
		}
		return new RequestTracker(progress, ignored);
	}

	@Bean
	@ConditionalOnMissingBean
	LameDuckDelay gracefulShutdownDelay(ShutdownRecorder progress, GracefulShutdownProperties properties,
			Environment environment, RequestTracker tracker) {
		CloudPlatform platform = CloudPlatform.getActive(environment);
		return new LameDuckDelay(progress, properties.delay(platform), properties.quietPeriod(platform),
				tracker::lastArrivalNanos);
	}

	@Bean
	@ConditionalOnMissingBean
	DrainMonitor gracefulShutdownDrainMonitor(ShutdownRecorder progress, RequestTracker tracker,
			ApplicationContext applicationContext, GracefulShutdownProperties properties,
			ObjectProvider<LifecycleProperties> lifecycle) {
		return new DrainMonitor(progress, tracker, new WebServerDrain(applicationContext),
				lifecycle.getIfAvailable(LifecycleProperties::new).getTimeoutPerShutdownPhase(),
				properties.reserveAfterDrain());
	}

	@Bean
	@ConditionalOnMissingBean
	DrainMonitor.StartMarker gracefulShutdownDrainStartMarker(DrainMonitor drainMonitor) {
		return drainMonitor.startMarker();
	}

	/**
	 * The Actuator's paths, which balancers and the kubelet keep probing after they stop
	 * routing traffic: by default they do not count for the quiet period. Loaded only
	 * where the Actuator is.
	 */
	private static final class ActuatorPaths {

		static List<String> basePath(ApplicationContext applicationContext) {
			WebEndpointProperties endpoints = applicationContext.getBeanProvider(WebEndpointProperties.class)
				.getIfAvailable();
			if (endpoints == null) {
				return List.of();
			}
			String basePath = endpoints.getBasePath();
			return List.of(basePath.endsWith("/") ? basePath : basePath + "/");
		}

	}

}
