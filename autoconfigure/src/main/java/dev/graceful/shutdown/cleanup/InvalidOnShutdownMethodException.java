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
