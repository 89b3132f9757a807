package dev.graceful.shutdown;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.aot.hint.annotation.Reflective;

/**
 * Marks a method of a singleton bean as a shutdown cleanup. Cleanups run once the HTTP
 * drain and background work are over and before Spring destroys beans, so everything
 * they use is still alive. Each runs isolated: a cleanup that throws (anything, including
 * an {@link Error}) or outlives its timeout is recorded and the next one still runs.
 * <p>
 * Cleanups run in ascending {@link #order()}; cleanups of equal order run in reverse
 * order of registration, like {@code defer}: what was created last is cleaned first.
 * <p>
 * The method must be an instance method with no parameters on a singleton bean; its
 * return value is ignored. Anything else fails the startup with a message that names
 * the method.
 * <p>
 * Processed ahead of time, the methods get reflection hints (through
 * {@link Reflective @Reflective}), so that a native image can invoke them.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Reflective
public @interface OnShutdown {

	/**
	 * Position of this cleanup: lower values run first. Cleanups of equal order run in
	 * reverse order of registration.
	 * @return the order
	 */
	int order() default 0;

	/**
	 * How long this cleanup may run before it is interrupted and recorded as timed out,
	 * as a duration string such as {@code "500ms"} or {@code "5s"}. Empty means
	 * {@code graceful.shutdown.cleanup.timeout}.
	 * @return the timeout
	 */
	String timeout() default "";

	/**
	 * Name of the cleanup in logs and the report. Empty means
	 * {@code BeanClassSimpleName.methodName}.
	 * @return the name
	 */
	String name() default "";

}
