package dev.graceful.shutdown.autoconfigure;

import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Defaults that other libraries' properties get when the starter is on, in a property
 * source of lowest precedence named {@value #PROPERTY_SOURCE_NAME}: any value the
 * application sets wins.
 * <p>
 * {@code spring.reactor.netty.shutdown-quiet-period} defaults to {@code 0s} instead of
 * Reactor Netty's 2 s. The quiet period keeps the event loops alive until no task has
 * been submitted to them for that long, so that late work is not rejected; with the
 * starter, the drain has already waited for every request, so the quiet period only
 * delays the exit. Queued tasks still run with a quiet period of zero.
 */
public final class GracefulShutdownEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

	/** Name of the property source holding the defaults. */
	public static final String PROPERTY_SOURCE_NAME = "gracefulShutdownDefaults";

	/** Reactor Netty's shutdown quiet period, bound by Spring Boot. */
	public static final String NETTY_QUIET_PERIOD = "spring.reactor.netty.shutdown-quiet-period";

	private static final String LOOP_RESOURCES = "reactor.netty.resources.LoopResources";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		if (!GracefulShutdownProperties.isEnabled(environment)
				|| environment.getPropertySources().contains(PROPERTY_SOURCE_NAME)
				|| !ClassUtils.isPresent(LOOP_RESOURCES, application.getClassLoader())) {
			return;
		}
		environment.getPropertySources()
			.addLast(new MapPropertySource(PROPERTY_SOURCE_NAME, Map.of(NETTY_QUIET_PERIOD, "0s")));
	}

	@Override
	public int getOrder() {
		// After the config data (application.yml, profiles) has been loaded, so that
		// graceful.shutdown.enabled=false there is seen.
		return Ordered.LOWEST_PRECEDENCE;
	}

}
