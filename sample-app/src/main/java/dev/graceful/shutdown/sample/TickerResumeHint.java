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

	/** Session attribute: the {@link SentTicks} of the session. */
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
		if (attributes != null && attributes.get(LAST_TICK) instanceof SentTicks sent) {
			stream.send(resume(sent.stop()));
		}
	}

	/**
	 * The ticks sent on one session, until the hand-off stops them: the resume message
	 * then names the last tick that went out before it, and no tick follows it.
	 */
	static final class SentTicks {

		private long last;

		private boolean stopped;

		/**
		 * Create the ticks of a session that resumes after the given tick.
		 * @param after the last tick the client had, 0 for none
		 */
		SentTicks(long after) {
			this.last = after;
		}

		/**
		 * Send a tick, unless the hand-off has stopped the ticks.
		 * @param n the tick
		 * @param sender sends it
		 * @return whether it was sent
		 * @throws Exception if the sender failed
		 */
		synchronized boolean send(long n, Sender sender) throws Exception {
			if (this.stopped) {
				return false;
			}
			sender.send();
			this.last = n;
			return true;
		}

		/**
		 * Stop the ticks.
		 * @return the last tick sent
		 */
		synchronized long stop() {
			this.stopped = true;
			return this.last;
		}

		@FunctionalInterface
		interface Sender {

			void send() throws Exception;

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
