package dev.graceful.shutdown.messaging.jms;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.jms.Message;
import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Counts the messages in a container's listener now.
 * <p>
 * The container's listener is replaced, before the container starts, by a proxy with the
 * listener's interfaces that counts each message and passes every call on: the container
 * sees the same listener types (a JMS {@code MessageListener} or Spring's
 * {@code SessionAwareMessageListener}, a subscription name provider), and the listener
 * gets the same message and session (replies, acknowledgements and transactions work as
 * before).
 */
final class JmsMessageCounting {

	private final AtomicLong inFlight = new AtomicLong();

	/**
	 * Return a listener that counts the messages given to a listener.
	 * @param listener the container's listener
	 * @return a proxy with all the listener's interfaces
	 */
	Object wrap(Object listener) {
		ClassLoader classLoader = listener.getClass().getClassLoader();
		Class<?>[] interfaces = ClassUtils.getAllInterfacesForClass(listener.getClass(), classLoader);
		return Proxy.newProxyInstance(classLoader, interfaces, new Counting(listener));
	}

	/**
	 * Return the messages in the listener now.
	 * @return the number in the listener
	 */
	long inFlight() {
		return this.inFlight.get();
	}

	/**
	 * Counts each call that hands the listener a message, passes every call on.
	 */
	private final class Counting implements InvocationHandler {

		private final Object listener;

		Counting(Object listener) {
			this.listener = listener;
		}

		@Override
		public @Nullable Object invoke(Object proxy, Method method, @Nullable Object[] args) throws Throwable {
			if (method.getDeclaringClass() == Object.class) {
				switch (method.getName()) {
					case "equals":
						return args != null && proxy == args[0];
					case "hashCode":
						return System.identityHashCode(proxy);
					default:
						return invokeListener(method, args);
				}
			}
			if (!method.getName().equals("onMessage") || args == null || args.length == 0
					|| !(args[0] instanceof Message)) {
				return invokeListener(method, args);
			}
			JmsMessageCounting.this.inFlight.incrementAndGet();
			try {
				return invokeListener(method, args);
			}
			finally {
				JmsMessageCounting.this.inFlight.decrementAndGet();
			}
		}

		private @Nullable Object invokeListener(Method method, @Nullable Object[] args) throws Throwable {
			try {
				ReflectionUtils.makeAccessible(method);
				return method.invoke(this.listener, args);
			}
			catch (InvocationTargetException ex) {
				throw ex.getTargetException();
			}
		}

	}

}
