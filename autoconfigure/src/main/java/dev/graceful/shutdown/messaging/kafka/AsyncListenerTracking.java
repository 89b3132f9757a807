package dev.graceful.shutdown.messaging.kafka;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.util.ReflectionUtils;

/**
 * Counts the results of asynchronous {@code @KafkaListener} methods (those that return a
 * {@link CompletionStage}, such as a {@code CompletableFuture}) as records in flight of
 * the container that called them, until the result completes. Spring Kafka 4.1 stops a
 * container without waiting for them, so without this the beans they use could be
 * destroyed under them.
 * <p>
 * A bean with such a method is proxied (a subclass) before Spring Kafka registers its
 * listeners; the container is the one whose consumer thread calls the method, known
 * from {@link RecordCounting#intercept} just before.
 */
public final class AsyncListenerTracking implements BeanPostProcessor, Ordered {

	private final ThreadLocal<@Nullable RecordCounting<?, ?>> current = new ThreadLocal<>();

	/**
	 * Run before Spring Kafka's own post-processor, which then finds the listener methods
	 * on the proxy.
	 */
	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	void enter(RecordCounting<?, ?> counting) {
		this.current.set(counting);
	}

	void exit() {
		this.current.remove();
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		Class<?> type = AopUtils.getTargetClass(bean);
		if (!AnnotationUtils.isCandidateClass(type, KafkaListener.class) || !hasAsyncListener(type)) {
			return bean;
		}
		DefaultPointcutAdvisor advisor = new DefaultPointcutAdvisor(
				new AnnotationMatchingPointcut(null, KafkaListener.class, true), new Counting());
		if (bean instanceof Advised advised && !advised.isFrozen()) {
			advised.addAdvisor(0, advisor);
			return bean;
		}
		if (Modifier.isFinal(type.getModifiers()) || AopUtils.isAopProxy(bean)) {
			return bean;
		}
		ProxyFactory factory = new ProxyFactory(bean);
		factory.setProxyTargetClass(true);
		factory.addAdvisor(advisor);
		return factory.getProxy(type.getClassLoader());
	}

	private static boolean hasAsyncListener(Class<?> type) {
		AtomicBoolean found = new AtomicBoolean();
		ReflectionUtils.doWithMethods(type, (method) -> found.set(true), (method) -> isAsyncListener(method));
		return found.get();
	}

	private static boolean isAsyncListener(Method method) {
		return CompletionStage.class.isAssignableFrom(method.getReturnType())
				&& AnnotatedElementUtils.hasAnnotation(method, KafkaListener.class);
	}

	private final class Counting implements MethodInterceptor {

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			Object result = invocation.proceed();
			RecordCounting<?, ?> counting = AsyncListenerTracking.this.current.get();
			if (counting != null && result instanceof CompletionStage<?> stage) {
				counting.asyncStarted();
				stage.whenComplete((value, ex) -> counting.asyncEnded());
			}
			return result;
		}

	}

}
