package dev.graceful.shutdown.messaging.kafka;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

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
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Counts the results of asynchronous {@code @KafkaListener} methods (those that return a
 * {@link CompletionStage}, such as a {@code CompletableFuture}, or a Reactor {@code Mono})
 * as records in flight of the container that called them, until the result completes. Spring Kafka 4.1 stops a
 * container without waiting for them, so without this the beans they use could be
 * destroyed under them.
 * <p>
 * A bean with such a method is proxied (a subclass) before Spring Kafka registers its
 * listeners; the container is the one whose consumer thread calls the method, known
 * from {@link RecordCounting#intercept} just before.
 */
public final class AsyncListenerTracking implements BeanPostProcessor, Ordered {

	private static final boolean REACTOR_PRESENT = ClassUtils.isPresent("reactor.core.publisher.Mono",
			AsyncListenerTracking.class.getClassLoader());

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
		Class<?> type = method.getReturnType();
		return (CompletionStage.class.isAssignableFrom(type) || (REACTOR_PRESENT && MonoResults.isMono(type)))
				&& AnnotatedElementUtils.hasAnnotation(method, KafkaListener.class);
	}

	private final class Counting implements MethodInterceptor {

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			Object result = invocation.proceed();
			RecordCounting<?, ?> counting = AsyncListenerTracking.this.current.get();
			if (counting == null || result == null) {
				return result;
			}
			if (result instanceof CompletionStage<?> stage) {
				counting.asyncStarted();
				stage.whenComplete((value, ex) -> counting.asyncEnded());
			}
			else if (REACTOR_PRESENT && MonoResults.isMono(result.getClass())) {
				counting.asyncStarted();
				return MonoResults.onEnd(result, counting::asyncEnded);
			}
			return result;
		}

	}

	/**
	 * {@code Mono} results, in a class of their own: loaded only with Reactor present.
	 */
	private static final class MonoResults {

		static boolean isMono(Class<?> type) {
			return Mono.class.isAssignableFrom(type);
		}

		/**
		 * The same result, calling back once when it ends whichever way (value, empty,
		 * error, cancelled); Spring Kafka subscribes to it.
		 */
		static Object onEnd(Object result, Runnable ended) {
			AtomicBoolean once = new AtomicBoolean();
			return ((Mono<?>) result).doFinally((signal) -> {
				if (once.compareAndSet(false, true)) {
					ended.run();
				}
			});
		}

	}

}
