package dev.graceful.shutdown;

import org.jspecify.annotations.Nullable;

/**
 * Takes part in the hand-off of long-lived streams: called for each open server-sent
 * event stream and WebSocket session just before the starter ends it on purpose (once the
 * lame-duck delay is over, when the drain starts). Every bean of this type is called, in
 * order, on the thread that hands the streams off (for a stream that opens after the
 * hand-off began, on the thread that opens it, after the application's WebSocket handler
 * has been told of it: a listener may be called for two streams at once); the stream is
 * then ended the starter's way unless a listener
 * {@link OpenStream#skip() skipped} it. For a STOMP session, what a listener sends is
 * written as it is: send STOMP frames.
 * <p>
 * What a listener can do with a stream:
 * <ul>
 * <li>{@link OpenStream#send(String) send} messages of its own first, such as an
 * application-level "reconnect" with a resume token; they are written before the
 * starter's last event (SSE) or close frame (WebSocket);</li>
 * <li>{@link OpenStream#skip() skip} it: the starter neither writes to it nor ends it;
 * the application ends it itself, and the drain waits for it like for a request in
 * flight, until the deadline, when the server's stop cuts it.</li>
 * </ul>
 * A listener that throws is logged and the stream is handed off the starter's way.
 * <pre class="code">
 * &#64;Bean
 * StreamHandOffListener resumeTokens(Sessions sessions) {
 *     return (stream) -&gt; {
 *         if (stream.path().startsWith("/admin/")) {
 *             stream.skip();                         // ended by the application
 *         }
 *         else {
 *             stream.send("{\"resume\":\"" + sessions.token(stream) + "\"}");
 *         }
 *     };
 * }
 * </pre>
 */
@FunctionalInterface
public interface StreamHandOffListener {

	/**
	 * Called for one open stream, just before it is handed off. On a stream written from
	 * a publisher (WebFlux, a Spring MVC {@code Flux} of events), the listener may end the
	 * application's publisher: the messages it sends and the starter's end follow it.
	 * @param stream the stream
	 * @throws Exception if the listener fails: logged, and the stream is handed off the
	 * starter's way
	 */
	void beforeHandOff(OpenStream stream) throws Exception;

	/**
	 * What a stream is.
	 */
	enum Kind {

		/** A server-sent event stream ({@code text/event-stream} response). */
		SSE,

		/** A WebSocket session. */
		WEBSOCKET

	}

	/**
	 * One open stream, about to be handed off.
	 */
	interface OpenStream {

		/**
		 * Return what the stream is.
		 * @return its kind
		 */
		Kind kind();

		/**
		 * Return the path of the request that opened the stream.
		 * @return the request path, without the query
		 */
		String path();

		/**
		 * Return the object the application knows the stream by: Spring MVC's
		 * {@code SseEmitter}, Spring WebSocket's or WebFlux's {@code WebSocketSession}, for
		 * a WebFlux {@code text/event-stream} response its {@code ServerWebExchange}, or
		 * for an event stream a Spring MVC handler returns as a reactive type (such as
		 * {@code Flux<ServerSentEvent<T>>}) its {@code HttpServletRequest}.
		 * @param <T> the type asked for
		 * @param type the type asked for
		 * @return that object, or {@code null} if it is not of the given type
		 */
		<T> @Nullable T unwrap(Class<T> type);

		/**
		 * Send a message of the application's before the stream ends: on an SSE stream an
		 * event with this data (no name, so {@code EventSource} dispatches it as a
		 * {@code message}), on a WebSocket a text message. Messages are written in the
		 * order they are sent, before the starter's last event or close frame.
		 * @param data the event data or message text
		 */
		void send(String data);

		/**
		 * Leave the stream to the application: the starter neither writes to it nor ends
		 * it.
		 */
		void skip();

	}

}
