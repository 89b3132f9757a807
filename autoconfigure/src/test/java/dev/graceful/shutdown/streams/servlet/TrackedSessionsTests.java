package dev.graceful.shutdown.streams.servlet;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;

import dev.graceful.shutdown.StreamHandOffListener;
import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.StreamSettings;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sessions' registration against the order in which a servlet container reports
 * them: Tomcat tells the handler that a session has closed from within the server's own
 * {@code close}, so a session that becomes ready while the streams are handed off
 * (handed off, hence closed, at once) is reported closed before {@code ready} has
 * returned. {@code WebSocketOpenedDuringHandOffTests} shows Tomcat doing so; here a
 * session that does the same, to check the count without timing it.
 */
class TrackedSessionsTests {

	private final OpenStreams streams = new OpenStreams(StreamHandOffListener.Kind.WEBSOCKET, "WebSocket(s)");

	private final TrackedSessions sessions = new TrackedSessions(() -> this.streams,
			() -> new StreamSettings(null, "restarting"));

	private final List<Object> sent = new ArrayList<>();

	@Test
	void sessionOpenedDuringTheHandOffIsHandedOffOnceReadyAndCountsClosedAtOnce() {
		this.streams.beginHandOff();
		WebSocketSession session = session("late");
		this.sessions.opening(session);
		assertThat(this.sent).as("not ready: not handed off").isEmpty();
		assertThat(this.streams.count()).isEqualTo(1);
		this.sessions.ready(session);
		assertThat(this.sent).containsExactly(CloseStatus.GOING_AWAY.withReason("restarting"));
		assertThat(this.streams.handedOff()).isEqualTo(1);
		// Not counted open for the closing grace, as a session whose close is pending.
		assertThat(this.streams.count()).isZero();
	}

	@Test
	void sessionOpenUntilItsHandlerIsToldItClosed() {
		WebSocketSession session = session("open");
		this.sessions.opening(session);
		this.sessions.ready(session);
		assertThat(this.streams.count()).isEqualTo(1);
		this.sessions.closed(session);
		assertThat(this.streams.count()).isZero();
		assertThat(this.sent).isEmpty();
	}

	/**
	 * A session whose {@code close} tells the handler (the tracked sessions) at once, as
	 * Tomcat's does.
	 */
	private WebSocketSession session(String id) {
		AtomicBoolean open = new AtomicBoolean(true);
		Map<String, Object> attributes = new HashMap<>();
		return (WebSocketSession) Proxy.newProxyInstance(getClass().getClassLoader(),
				new Class<?>[] { WebSocketSession.class }, (proxy, method, arguments) -> {
					switch (method.getName()) {
						case "getId":
							return id;
						case "getUri":
							return URI.create("ws://127.0.0.1/ws");
						case "getAttributes":
							return attributes;
						case "isOpen":
							return open.get();
						case "sendMessage":
							this.sent.add(((TextMessage) arguments[0]).getPayload());
							return null;
						case "close":
							this.sent.add(arguments[0]);
							open.set(false);
							this.sessions.closed((WebSocketSession) proxy);
							return null;
						case "hashCode":
							return System.identityHashCode(proxy);
						case "equals":
							return proxy == arguments[0];
						case "toString":
							return "session " + id;
						default:
							throw new UnsupportedOperationException(method.getName());
					}
				});
	}

}
