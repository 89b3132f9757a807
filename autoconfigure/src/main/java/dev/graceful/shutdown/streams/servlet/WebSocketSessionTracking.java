package dev.graceful.shutdown.streams.servlet;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.framework.ProxyFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.Lifecycle;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.NativeWebSocketSession;
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

		private final Map<String, OpenStreams.Stream> open = new ConcurrentHashMap<>();

		private final Map<Class<?>, Optional<Method>> isClosed = new ConcurrentHashMap<>();

		@Override
		public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
			String method = invocation.getMethod().getName();
			Object[] arguments = invocation.getArguments();
			if (arguments.length > 0 && arguments[0] instanceof WebSocketSession session) {
				if (method.equals("afterConnectionEstablished")) {
					opened(session);
				}
				else if (method.equals("afterConnectionClosed")) {
					try {
						return invocation.proceed();
					}
					finally {
						OpenStreams.Stream stream = this.open.remove(session.getId());
						if (stream != null) {
							closed(stream, session);
						}
					}
				}
			}
			return invocation.proceed();
		}

		/**
		 * Tomcat tells the handler that a session has closed as soon as it has sent its
		 * close frame; the connection closes once the client has answered. Until then
		 * the stream counts as open, so that the server does not stop under the close
		 * handshake (Tomcat's session says so with {@code isClosed()}).
		 */
		private void closed(OpenStreams.Stream stream, WebSocketSession session) {
			Object nativeSession = nativeSession(session);
			Optional<Method> isClosed = (nativeSession != null)
					? this.isClosed.computeIfAbsent(nativeSession.getClass(), SessionInterceptor::isClosedMethod)
					: Optional.empty();
			if (isClosed.isEmpty()) {
				stream.closed();
				return;
			}
			stream.closing(() -> {
				try {
					return Boolean.TRUE.equals(isClosed.get().invoke(nativeSession));
				}
				catch (ReflectiveOperationException ex) {
					return true;
				}
			});
		}

		private static Optional<Method> isClosedMethod(Class<?> type) {
			try {
				Method method = type.getMethod("isClosed");
				return Optional.of(method).filter((candidate) -> candidate.getReturnType() == boolean.class);
			}
			catch (NoSuchMethodException | SecurityException ex) {
				return Optional.empty();
			}
		}

		private static @Nullable Object nativeSession(WebSocketSession session) {
			return (session instanceof NativeWebSocketSession adapter) ? adapter.getNativeSession() : null;
		}

		private void opened(WebSocketSession session) {
			CloseStatus status = CloseStatus.GOING_AWAY.withReason(settings.get().closeReason());
			URI uri = session.getUri();
			String path = (uri != null) ? uri.getPath() : "";
			this.open.put(session.getId(), streams.get().open(path, session, (messages) -> {
				try {
					if (session.isOpen()) {
						while (!messages.isEmpty()) {
							session.sendMessage(new TextMessage(messages.get(0)));
							messages.remove(0);
						}
						session.close(status);
					}
					return true;
				}
				catch (IllegalStateException ex) {
					// A message of the application's is being sent: try again.
					return false;
				}
			}));
		}

	}

}
