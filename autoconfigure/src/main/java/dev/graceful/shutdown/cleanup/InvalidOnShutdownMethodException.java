package dev.graceful.shutdown.cleanup;

import java.lang.reflect.Method;

import org.springframework.beans.factory.BeanCreationException;

/**
 * Thrown at startup for an {@link dev.graceful.shutdown.OnShutdown @OnShutdown} method
 * that cannot be run as a cleanup. Reported by {@link InvalidOnShutdownMethodFailureAnalyzer}.
 */
public class InvalidOnShutdownMethodException extends BeanCreationException {

	private final String method;

	private final String fix;

	InvalidOnShutdownMethodException(String beanName, Method method, String problem, String fix) {
		super(beanName, "@OnShutdown method " + describe(method) + " " + problem);
		this.method = describe(method);
		this.fix = fix;
	}

	/**
	 * Create one, typed as its superclass: the JVM verifies a class that throws it this
	 * way without loading this one, so a startup whose {@code @OnShutdown} methods are all
	 * valid never loads it.
	 * @param beanName the bean that declares the method
	 * @param method the method
	 * @param problem what is wrong with it
	 * @param fix what the user should do about it
	 * @return the exception
	 */
	static BeanCreationException of(String beanName, Method method, String problem, String fix) {
		return new InvalidOnShutdownMethodException(beanName, method, problem, fix);
	}

	private static String describe(Method method) {
		return method.getDeclaringClass().getName() + "." + method.getName() + "()";
	}

	/**
	 * Return the offending method.
	 * @return the method as {@code ClassName.method()}
	 */
	public String getMethod() {
		return this.method;
	}

	/**
	 * Return what the user should do about it.
	 * @return the fix
	 */
	public String getFix() {
		return this.fix;
	}

}
