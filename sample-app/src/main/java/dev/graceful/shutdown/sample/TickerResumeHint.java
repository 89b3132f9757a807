package dev.graceful.shutdown.sample;

import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Component;

import dev.graceful.shutdown.StreamHandOffListener;

/**
 * The application's part in the hand-off of its ticker WebSockets: before the starter's
 * close frame, each client gets a message of the application's that says where to
 * resume ({@code resume /ticks?after=n}, n the last tick sent on that session). A
 * WebSocket has no {@code Last-Event-ID}; this is its equivalent. SSE streams are left
 * to the starter: {@code EventSource} resumes by itself.
 */
@Component
class TickerResumeHint implements StreamHandOffListener {

	/** Session attribute: the last tick sent on the session. */
	static final String LAST_TICK = "sample.last-tick";

	static String resume(long lastTick) {
		return "resume /ticks?after=" + lastTick;
	}

	@Override
	public void beforeHandOff(OpenStream stream) {
		if (stream.kind() != Kind.WEBSOCKET || !stream.path().equals("/ticks")) {
			return;
		}
		Map<String, Object> attributes = attributes(stream);
		if (attributes != null && attributes.get(LAST_TICK) instanceof Long lastTick) {
			stream.send(resume(lastTick));
		}
	}

	private static @Nullable Map<String, Object> attributes(OpenStream stream) {
		org.springframework.web.socket.WebSocketSession session = stream
			.unwrap(org.springframework.web.socket.WebSocketSession.class);
		if (session != null) {
			return session.getAttributes();
		}
		org.springframework.web.reactive.socket.WebSocketSession reactive = stream
			.unwrap(org.springframework.web.reactive.socket.WebSocketSession.class);
		return (reactive != null) ? reactive.getAttributes() : null;
	}

}
