package dev.graceful.shutdown.streams.servlet;

import java.lang.reflect.Modifier;
import java.util.function.Supplier;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.framework.ProxyFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.Lifecycle;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;

import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.StreamSettings;

/**
 * Registers the sessions of every {@link WebSocketHandler} bean as open streams, handed
 * off with a close frame 1001 Going Away. The bean is proxied by class, so it keeps its
 * type for injection; the handler's own code runs unchanged. Handlers that are not beans,
 * final classes and Spring's own handlers (STOMP's sub-protocol handler) are left alone.
 */
public final class WebSocketSessionTracking implements BeanPostProcessor {

	private static final Log logger = LogFactory.getLog(WebSocketSessionTracking.class);

	private final Supplier<OpenStreams> streams;

	private final Supplier<StreamSettings> settings;

	/**
	 * Create the tracking.
	 * @param streams the open WebSocket sessions, looked up at the first session
	 * @param settings how streams are ended
	 */
	public WebSocketSessionTracking(Supplier<OpenStreams> streams, Supplier<StreamSettings> settings) {
		this.streams = streams;
		this.settings = settings;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (!(bean instanceof WebSocketHandler) || bean instanceof WebSocketHandlerDecorator
				|| bean instanceof Lifecycle || bean.getClass().getName().startsWith("org.springframework.")
				|| Modifier.isFinal(bean.getClass().getModifiers())) {
			return bean;
		}
		try {
			ProxyFactory factory = new ProxyFactory(bean);
			factory.setProxyTargetClass(true);
			factory.addAdvice(new SessionInterceptor());
			return factory.getProxy(bean.getClass().getClassLoader());
		}
		catch (RuntimeException ex) {
			logger.warn("Graceful shutdown: WebSocket handler '" + beanName
					+ "' cannot be proxied; its sessions will not be handed off", ex);
			return bean;
		}
	}

	private final class SessionInterceptor implements MethodInterceptor {

		private final TrackedSessions sessions = new TrackedSessions(WebSocketSessionTracking.this.streams,
				WebSocketSessionTracking.this.settings);

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			String method = invocation.getMethod().getName();
			Object[] arguments = invocation.getArguments();
			if (arguments.length > 0 && arguments[0] instanceof WebSocketSession session) {
				if (method.equals("afterConnectionEstablished")) {
					// Counted open from now on, handed off only once the handler has been
					// told of it: the listeners are to find what the handler set up on it,
					// and the handler never gets a session the starter has closed. A
					// handler that fails has its session closed by Spring.
					this.sessions.opening(session);
					Object result = invocation.proceed();
					this.sessions.ready(session);
					return result;
				}
				else if (method.equals("afterConnectionClosed")) {
					try {
						return invocation.proceed();
					}
					finally {
						this.sessions.closed(session);
					}
				}
			}
			return invocation.proceed();
		}

	}

}
