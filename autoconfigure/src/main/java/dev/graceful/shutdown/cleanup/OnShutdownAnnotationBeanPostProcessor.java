package dev.graceful.shutdown.cleanup;

import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.UndeclaredThrowableException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanCreationException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.stereotype.Component;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

import dev.graceful.shutdown.OnShutdown;
import dev.graceful.shutdown.ShutdownCleanups;

/**
 * Registers every {@link OnShutdown @OnShutdown} method of every bean with
 * {@link ShutdownCleanups}, in the order the beans are initialized, and rejects at
 * startup the methods that could not run: static methods, methods with parameters,
 * methods of beans that are not singletons, and unparseable timeouts.
 */
public final class OnShutdownAnnotationBeanPostProcessor
		implements BeanPostProcessor, BeanFactoryAware, SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(OnShutdownAnnotationBeanPostProcessor.class);

	private static final String PRE_DESTROY = "jakarta.annotation.PreDestroy";

	private final ObjectProvider<ShutdownCleanups> cleanups;

	/** Classes known to declare no {@code @OnShutdown} method: not inspected again. */
	private final Set<Class<?>> classesWithoutCleanups = ConcurrentHashMap.newKeySet();

	private @Nullable ConfigurableListableBeanFactory beanFactory;

	public OnShutdownAnnotationBeanPostProcessor(ObjectProvider<ShutdownCleanups> cleanups) {
		this.cleanups = cleanups;
	}

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		if (beanFactory instanceof ConfigurableListableBeanFactory listable) {
			this.beanFactory = listable;
		}
	}

	@Override
	public void afterSingletonsInstantiated() {
		// Instances of scoped and prototype beans may never be created at startup: check
		// their definitions, so that the mistake fails the startup rather than a request.
		ConfigurableListableBeanFactory beanFactory = this.beanFactory;
		if (beanFactory == null) {
			return;
		}
		for (String beanName : beanFactory.getBeanDefinitionNames()) {
			if (isSingleton(beanName)) {
				continue;
			}
			Class<?> type = beanFactory.getType(beanName, false);
			if (type != null && mayDeclareCleanups(ClassUtils.getUserClass(type))) {
				Map<Method, OnShutdown> methods = findAnnotatedMethods(ClassUtils.getUserClass(type));
				if (!methods.isEmpty()) {
					throw notSingleton(beanName, methods.keySet().iterator().next());
				}
			}
		}
	}

	/**
	 * Whether a class is worth inspecting, as Spring's own {@code @EventListener}
	 * processing decides: not a JDK type, and not one of Spring's own infrastructure
	 * classes unless it is a component. Spring's classes are most of an application's
	 * beans, and inspecting every method of each of them (and of their interfaces) loads
	 * classes nothing else needs, a measurable part of the startup.
	 */
	private boolean mayDeclareCleanups(Class<?> type) {
		if (this.classesWithoutCleanups.contains(type)) {
			return false;
		}
		boolean candidate = AnnotationUtils.isCandidateClass(type, OnShutdown.class) && !isSpringContainerClass(type)
				&& hasAnnotatedMethod(type);
		if (!candidate) {
			this.classesWithoutCleanups.add(type);
		}
		return candidate;
	}

	/**
	 * Whether a method of the class, of a superclass or of an interface carries
	 * {@code @OnShutdown}, which can be put on methods only: where none does, the search
	 * through each method's hierarchy for the merged annotation is skipped. The methods
	 * are Spring's cached ones, whose annotations the JDK parses once.
	 */
	private static boolean hasAnnotatedMethod(Class<?> type) {
		for (Class<?> current = type; current != null && current != Object.class; current = current.getSuperclass()) {
			if (declaresAnnotatedMethod(current)) {
				return true;
			}
		}
		for (Class<?> ifc : ClassUtils.getAllInterfacesForClassAsSet(type)) {
			if (declaresAnnotatedMethod(ifc)) {
				return true;
			}
		}
		return false;
	}

	private static boolean declaresAnnotatedMethod(Class<?> type) {
		for (Method method : ReflectionUtils.getDeclaredMethods(type)) {
			if (method.isAnnotationPresent(OnShutdown.class)) {
				return true;
			}
		}
		return false;
	}

	private static boolean isSpringContainerClass(Class<?> type) {
		return type.getName().startsWith("org.springframework.")
				&& !AnnotatedElementUtils.isAnnotated(type, Component.class);
	}

	private static Map<Method, OnShutdown> findAnnotatedMethods(Class<?> type) {
		return MethodIntrospector.selectMethods(type,
				(MethodIntrospector.MetadataLookup<OnShutdown>) (method) -> AnnotatedElementUtils
					.findMergedAnnotation(method, OnShutdown.class));
	}

	private static BeanCreationException notSingleton(String beanName, Method method) {
		return InvalidOnShutdownMethodException.of(beanName, method,
				"is declared on bean '" + beanName + "', which is not a singleton",
				"Move the method to a singleton bean: scoped and prototype instances are not tracked, so their cleanups could run never or many times.");
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
		Class<?> targetClass = AopUtils.getTargetClass(bean);
		if (ClassUtils.isCglibProxyClass(targetClass)) {
			targetClass = ClassUtils.getUserClass(targetClass);
		}
		if (!mayDeclareCleanups(targetClass)) {
			return bean;
		}
		Map<Method, OnShutdown> methods = findAnnotatedMethods(targetClass);
		if (methods.isEmpty()) {
			this.classesWithoutCleanups.add(targetClass);
			return bean;
		}
		for (Map.Entry<Method, OnShutdown> entry : methods.entrySet()) {
			register(bean, beanName, targetClass, entry.getKey(), entry.getValue());
		}
		return bean;
	}

	private void register(Object bean, String beanName, Class<?> targetClass, Method method, OnShutdown annotation) {
		if (Modifier.isStatic(method.getModifiers())) {
			throw InvalidOnShutdownMethodException.of(beanName, method, "is static",
					"Make the method an instance method of the bean: cleanups belong to a bean instance.");
		}
		if (method.getParameterCount() > 0) {
			throw InvalidOnShutdownMethodException.of(beanName, method,
					"has " + method.getParameterCount() + " parameter(s)",
					"Remove the parameters: inject what the cleanup needs into the bean instead.");
		}
		if (!isSingleton(beanName)) {
			throw notSingleton(beanName, method);
		}
		Duration timeout = parseTimeout(beanName, method, annotation.timeout());
		String name = annotation.name().isEmpty() ? targetClass.getSimpleName() + "." + method.getName()
				: annotation.name();
		Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
		ReflectionUtils.makeAccessible(invocable);
		if (logger.isWarnEnabled() && isAlsoDestroyMethod(bean, beanName, targetClass, method)) {
			logger.warn("Graceful shutdown: @OnShutdown method " + targetClass.getSimpleName() + "."
					+ method.getName() + "() of bean '" + beanName + "' is also the bean's destroy method, so it"
					+ " runs twice: in the cleanup step and when Spring destroys the bean. Give the cleanup a"
					+ " method of its own, or turn the destroy method off (@Bean(destroyMethod = \"\")).");
		}
		this.cleanups.getObject().register(name, annotation.order(), timeout, () -> invoke(invocable, bean));
	}

	/**
	 * Whether Spring calls the method when it destroys the bean too: a {@code @PreDestroy}
	 * method, {@code DisposableBean.destroy()}, a destroy method its definition names, or
	 * one Spring infers ({@code close()} of an {@link AutoCloseable}, and for a
	 * {@code @Bean} method a public {@code close()} or else {@code shutdown()}).
	 */
	private boolean isAlsoDestroyMethod(Object bean, String beanName, Class<?> targetClass, Method method) {
		String name = method.getName();
		if (isAnnotated(method, PRE_DESTROY) || (bean instanceof DisposableBean && name.equals("destroy"))) {
			return true;
		}
		ConfigurableListableBeanFactory beanFactory = this.beanFactory;
		if (beanFactory == null || !beanFactory.containsBeanDefinition(beanName)
				|| !(beanFactory.getMergedBeanDefinition(beanName) instanceof AbstractBeanDefinition definition)) {
			return false;
		}
		String[] destroyMethods = definition.getDestroyMethodNames();
		if (destroyMethods == null || destroyMethods.length == 0) {
			// None named: Spring closes an AutoCloseable bean.
			return inferredDestroyMethod(bean, targetClass, false).equals(name);
		}
		for (String destroyMethod : destroyMethods) {
			if (name.equals(destroyMethod) || (AbstractBeanDefinition.INFER_METHOD.equals(destroyMethod)
					&& inferredDestroyMethod(bean, targetClass, true).equals(name))) {
				return true;
			}
		}
		return false;
	}

	private static String inferredDestroyMethod(Object bean, Class<?> targetClass, boolean byName) {
		if (bean instanceof DisposableBean) {
			return "";
		}
		if (bean instanceof AutoCloseable) {
			return "close";
		}
		if (byName) {
			if (hasPublicMethod(targetClass, "close")) {
				return "close";
			}
			if (hasPublicMethod(targetClass, "shutdown")) {
				return "shutdown";
			}
		}
		return "";
	}

	private static boolean hasPublicMethod(Class<?> type, String name) {
		try {
			type.getMethod(name);
			return true;
		}
		catch (NoSuchMethodException ex) {
			return false;
		}
	}

	private static boolean isAnnotated(Method method, String annotationName) {
		for (Annotation annotation : method.getDeclaredAnnotations()) {
			if (annotation.annotationType().getName().equals(annotationName)) {
				return true;
			}
		}
		return false;
	}

	private static void invoke(Method method, Object bean) throws Exception {
		try {
			method.invoke(bean);
		}
		catch (InvocationTargetException ex) {
			Throwable target = ex.getTargetException();
			if (target instanceof Exception exception) {
				throw exception;
			}
			if (target instanceof Error error) {
				throw error;
			}
			throw new UndeclaredThrowableException(target);
		}
	}

	private boolean isSingleton(String beanName) {
		ConfigurableListableBeanFactory beanFactory = this.beanFactory;
		if (beanFactory == null || !beanFactory.containsBeanDefinition(beanName)) {
			// Registered directly as a singleton instance.
			return true;
		}
		BeanDefinition definition = beanFactory.getMergedBeanDefinition(beanName);
		return definition.isSingleton();
	}

	private static @Nullable Duration parseTimeout(String beanName, Method method, String timeout) {
		if (timeout.isEmpty()) {
			return null;
		}
		try {
			Duration parsed = DurationStyle.detectAndParse(timeout);
			if (parsed.isNegative() || parsed.isZero()) {
				throw new IllegalArgumentException("not positive");
			}
			return parsed;
		}
		catch (IllegalArgumentException ex) {
			throw InvalidOnShutdownMethodException.of(beanName, method,
					"has an invalid timeout '" + timeout + "'",
					"Use a positive duration such as timeout = \"500ms\" or \"5s\", or leave it empty for graceful.shutdown.cleanup.timeout.");
		}
	}

}
