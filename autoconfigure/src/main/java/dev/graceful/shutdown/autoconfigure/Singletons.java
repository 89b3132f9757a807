package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanDefinitionStoreException;
import org.springframework.beans.factory.CannotLoadBeanClassException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.util.ClassUtils;

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.tasks.WorkRegistry;

/**
 * How the registrars ({@link ShutdownCoreRegistrar}, {@link WebPartsRegistrar} and those
 * of the stacks and streams, which it calls) put the starter's parts into the bean
 * factory: as ready-made singletons, each under the bean name it always had, unless the
 * application defines a bean of the part's type.
 */
final class Singletons {

	/**
	 * Order of the core registrar among bean factory post-processors.
	 */
	static final int CORE_ORDER = 0;

	/**
	 * Attribute of the bean definitions a registrar registers, which ahead-of-time
	 * processing leaves out (see {@link ShutdownPartsBeanRegistrationExcludeFilter}).
	 */
	static final String PART_ATTRIBUTE = Singletons.class.getName() + ".part";

	private static final String LIFECYCLE_TIMEOUT = "spring.lifecycle.timeout-per-shutdown-phase";

	private static final Duration DEFAULT_LIFECYCLE_TIMEOUT = Duration.ofSeconds(30);

	private final ConfigurableListableBeanFactory beanFactory;

	private final String[] definitionNames;

	private final @Nullable Class<?>[] definitionTypes;

	private Singletons(ConfigurableListableBeanFactory beanFactory) {
		this.beanFactory = beanFactory;
		this.definitionNames = beanFactory.getBeanDefinitionNames();
		this.definitionTypes = new Class<?>[this.definitionNames.length];
		for (int i = 0; i < this.definitionNames.length; i++) {
			this.definitionTypes[i] = predictedType(beanFactory, this.definitionNames[i]);
		}
	}

	private static @Nullable Class<?> predictedType(ConfigurableListableBeanFactory beanFactory, String name) {
		try {
			return beanFactory.getBeanDefinition(name).isAbstract() ? null : beanFactory.getType(name, false);
		}
		catch (CannotLoadBeanClassException | BeanDefinitionStoreException ex) {
			// Ignored for type matching, as the bean factory does.
			return null;
		}
	}

	/**
	 * The bean definitions of the application as they are now, each one's type predicted
	 * once for every check a registrar makes: asking the bean factory for the beans of a
	 * type goes through every definition, and a registrar checks up to fifteen types.
	 * The singletons registered since are looked at on each check.
	 * @param beanFactory the bean factory, after the configuration classes were read
	 * @return the definitions
	 */
	static Singletons of(ConfigurableListableBeanFactory beanFactory) {
		return new Singletons(beanFactory);
	}

	/**
	 * The application's bean of the type if it defines one, created now (the parts after
	 * it then use it), else {@code null}: the caller registers its own. A registrar checks
	 * and registers each part in its own code rather than through a supplier, because each
	 * lambda costs the startup a class generated for it.
	 */
	<T> @Nullable T existing(Class<T> type) {
		String[] defined = defined(type);
		return (defined.length > 0) ? this.beanFactory.getBean(defined[0], type) : null;
	}

	/**
	 * Whether the application defines no bean of the type, so that ours is registered.
	 */
	boolean absent(Class<?> type) {
		return defined(type).length == 0;
	}

	/**
	 * The names of the beans of the type, without creating any: the definitions whose
	 * type is known without creating a bean, then the singletons registered without a
	 * definition, as {@code getBeanNamesForType(type, true, false)} lists them.
	 */
	String[] defined(Class<?> type) {
		List<String> names = new ArrayList<>(1);
		for (int i = 0; i < this.definitionNames.length; i++) {
			Class<?> definitionType = this.definitionTypes[i];
			if (definitionType != null && type.isAssignableFrom(definitionType)) {
				names.add(this.definitionNames[i]);
			}
		}
		for (String name : this.beanFactory.getSingletonNames()) {
			if (!this.beanFactory.containsBeanDefinition(name)
					&& type.isInstance(this.beanFactory.getSingleton(name))) {
				names.add(name);
			}
		}
		return names.toArray(new String[0]);
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
	 * Register a part that Spring creates when first asked, from an instance supplier,
	 * marked as the starter's: ahead-of-time processing cannot generate code for an
	 * instance supplier, so it leaves the definition out, and the registrar, which runs
	 * again when the processed application starts, registers it then.
	 */
	static void define(ConfigurableListableBeanFactory beanFactory, String name, RootBeanDefinition definition) {
		definition.setAttribute(PART_ATTRIBUTE, Boolean.TRUE);
		((BeanDefinitionRegistry) beanFactory).registerBeanDefinition(name, definition);
	}

	/**
	 * The starter's own {@link WorkTracker}, where the application's is the starter's:
	 * what the tasks step, the diagnostics, the meters and the endpoint read the work
	 * from.
	 */
	static @Nullable WorkRegistry workRegistry(ObjectProvider<WorkTracker> workTracker) {
		return (workTracker.getIfAvailable() instanceof WorkRegistry registry) ? registry : null;
	}

	/**
	 * Whether all the classes are present.
	 * @param classLoader the class loader to look in
	 * @param classNames the names of the classes
	 * @return {@code true} if each of them is
	 */
	static boolean allPresent(@Nullable ClassLoader classLoader, String... classNames) {
		for (String className : classNames) {
			if (!ClassUtils.isPresent(className, classLoader)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * Spring's {@code spring.lifecycle.timeout-per-shutdown-phase}, read where its
	 * properties bean is not bound yet.
	 */
	static Duration phaseTimeout(Binder binder) {
		return binder.bind(LIFECYCLE_TIMEOUT, Bindable.of(Duration.class)).orElse(DEFAULT_LIFECYCLE_TIMEOUT);
	}

}
