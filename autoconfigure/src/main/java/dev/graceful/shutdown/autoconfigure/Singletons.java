package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.function.Supplier;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;

/**
 * How the registrars ({@link ShutdownCoreRegistrar}, {@link WebPartsRegistrar} and those of
 * the stacks) put the starter's parts into the bean factory: as ready-made singletons,
 * each under the bean name it always had, unless the application defines a bean of the
 * part's type.
 */
final class Singletons {

	/**
	 * Order of the core registrar among bean factory post-processors: before the web
	 * one, whose parts record into the core's.
	 */
	static final int CORE_ORDER = 0;

	static final int WEB_ORDER = CORE_ORDER + 1;

	/**
	 * Order of the servlet and streams registrars: after the web one, whose request count
	 * the servlet filter feeds.
	 */
	static final int STACK_ORDER = WEB_ORDER + 1;

	private static final String LIFECYCLE_TIMEOUT = "spring.lifecycle.timeout-per-shutdown-phase";

	private static final Duration DEFAULT_LIFECYCLE_TIMEOUT = Duration.ofSeconds(30);

	private Singletons() {
	}

	/**
	 * The application's bean of the type if it defines one (the parts after it then use
	 * it, so it is created now), else ours, registered.
	 */
	static <T> T shared(ConfigurableListableBeanFactory beanFactory, String name, Class<T> type, Supplier<T> ours) {
		String[] defined = defined(beanFactory, type);
		if (defined.length > 0) {
			return beanFactory.getBean(defined[0], type);
		}
		return register(beanFactory, name, ours.get());
	}

	/**
	 * Ours, registered, unless the application defines a bean of the type.
	 */
	static <T> void unlessDefined(ConfigurableListableBeanFactory beanFactory, String name, Class<T> type,
			Supplier<T> ours) {
		if (defined(beanFactory, type).length == 0) {
			register(beanFactory, name, ours.get());
		}
	}

	/**
	 * The names of the beans of the type, singletons included, without creating any.
	 */
	static String[] defined(ConfigurableListableBeanFactory beanFactory, Class<?> type) {
		return beanFactory.getBeanNamesForType(type, true, false);
	}

	static <T> T register(ConfigurableListableBeanFactory beanFactory, String name, T object) {
		if (beanFactory.containsBeanDefinition(name)) {
			throw new IllegalStateException("The application defines a bean named '" + name
					+ "', the name of a part of graceful shutdown, of another type: rename the bean, or set "
					+ GracefulShutdownProperties.ENABLED + "=false to turn graceful shutdown off");
		}
		beanFactory.registerSingleton(name, object);
		return object;
	}

	/**
	 * The {@code graceful.shutdown} properties, bound and registered by the core
	 * registrar, which runs first.
	 */
	static GracefulShutdownProperties properties(ConfigurableListableBeanFactory beanFactory) {
		return beanFactory.getBean(ShutdownCoreRegistrar.PROPERTIES_BEAN_NAME, GracefulShutdownProperties.class);
	}

	/**
	 * Spring's {@code spring.lifecycle.timeout-per-shutdown-phase}, read where its
	 * properties bean is not bound yet.
	 */
	static Duration phaseTimeout(Binder binder) {
		return binder.bind(LIFECYCLE_TIMEOUT, Bindable.of(Duration.class)).orElse(DEFAULT_LIFECYCLE_TIMEOUT);
	}

}
