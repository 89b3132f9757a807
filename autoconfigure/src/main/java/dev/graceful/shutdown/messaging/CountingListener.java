package dev.graceful.shutdown.messaging;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * A listener container's listener, replaced before the container starts by a proxy with
 * all the listener's interfaces that counts the messages in the listener and passes every
 * call on: the container sees the same listener types, and the listener gets the same
 * arguments (replies, acknowledgements and transactions work as before).
 */
public final class CountingListener {

	private CountingListener() {
	}

	/**
	 * Return a proxy of the listener that counts, while each call runs, the messages the
	 * call hands the listener.
	 * @param listener the container's listener
	 * @param inFlight the messages in the listener now, counted up as a call starts and
	 * down as it ends
	 * @param messages how many messages a call hands the listener (0 for any other call),
	 * asked once per call, before the listener
	 * @return a proxy with all the listener's interfaces
	 */
	public static Object wrap(Object listener, AtomicLong inFlight, Messages messages) {
		ClassLoader classLoader = listener.getClass().getClassLoader();
		Class<?>[] interfaces = ClassUtils.getAllInterfacesForClass(listener.getClass(), classLoader);
		return Proxy.newProxyInstance(classLoader, interfaces, new Counting(listener, inFlight, messages));
	}

	/**
	 * How many messages a call hands the listener.
	 */
	@FunctionalInterface
	public interface Messages {

		/**
		 * Return how many messages the call hands the listener.
		 * @param method the listener's method called
		 * @param args its arguments
		 * @return the number of messages, 0 for a call that hands none
		 */
		long count(Method method, @Nullable Object[] args);

	}

	private static final class Counting implements InvocationHandler {

		private final Object listener;

		private final AtomicLong inFlight;

		private final Messages messages;

		Counting(Object listener, AtomicLong inFlight, Messages messages) {
			this.listener = listener;
			this.inFlight = inFlight;
			this.messages = messages;
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
			long count = this.messages.count(method, args);
			if (count == 0) {
				return invokeListener(method, args);
			}
			this.inFlight.addAndGet(count);
			try {
				return invokeListener(method, args);
			}
			finally {
				this.inFlight.addAndGet(-count);
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
