package dev.graceful.shutdown.streams.servlet;

import java.lang.reflect.Method;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.adapter.NativeWebSocketSession;

import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.StreamSettings;

/**
 * The open sessions of the Spring WebSocket handlers the starter tracks, each an open
 * stream handed off with the listeners' messages and a close frame 1001 Going Away with
 * the configured reason.
 */
final class TrackedSessions {

	private final Supplier<OpenStreams> streams;

	private final Supplier<StreamSettings> settings;

	private final Map<String, OpenStreams.Stream> open = new ConcurrentHashMap<>();

	private final Map<Class<?>, Optional<Method>> isClosed = new ConcurrentHashMap<>();

	TrackedSessions(Supplier<OpenStreams> streams, Supplier<StreamSettings> settings) {
		this.streams = streams;
		this.settings = settings;
	}

	/**
	 * Register a session that the handler is about to be told of: counted open, handed
	 * off only once {@link #ready ready}.
	 * @param session the session
	 */
	void opening(WebSocketSession session) {
		CloseStatus status = CloseStatus.GOING_AWAY.withReason(this.settings.get().closeReason());
		URI uri = session.getUri();
		String path = (uri != null) ? uri.getPath() : "";
		this.open.put(session.getId(), this.streams.get().opening(path, session, (messages) -> {
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

	/**
	 * Record that the handler has been told of a session: it may be handed off from now
	 * on, and is at once if the hand-off is under way.
	 * @param session the session
	 */
	void ready(WebSocketSession session) {
		OpenStreams.Stream stream = this.open.get(session.getId());
		if (stream != null) {
			stream.ready();
		}
	}

	/**
	 * Record that the handler has been told that a session has closed. Tomcat tells the
	 * handler so as soon as it has sent its close frame; the connection closes once the
	 * client has answered. Until then the stream counts as open, so that the server does
	 * not stop under the close handshake (Tomcat's session says so with
	 * {@code isClosed()}).
	 * @param session the session
	 */
	void closed(WebSocketSession session) {
		OpenStreams.Stream stream = this.open.remove(session.getId());
		if (stream == null) {
			return;
		}
		Object nativeSession = nativeSession(session);
		Optional<Method> isClosed = (nativeSession != null)
				? this.isClosed.computeIfAbsent(nativeSession.getClass(), TrackedSessions::isClosedMethod)
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

}
