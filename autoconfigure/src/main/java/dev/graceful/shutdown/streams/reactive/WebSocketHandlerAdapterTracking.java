package dev.graceful.shutdown.streams.reactive;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.web.reactive.HandlerResult;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.HandshakeInfo;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.support.WebSocketHandlerAdapter;
import org.springframework.web.server.ServerWebExchange;

import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.PublisherHandOff;
import dev.graceful.shutdown.streams.StreamSettings;

/**
 * Registers the session of every WebFlux {@link WebSocketHandler} as an open stream,
 * handed off with a close frame 1001 Going Away: every {@link WebSocketHandlerAdapter}
 * bean is replaced by one, on the same {@code WebSocketService}, that wraps the handler
 * of each handshake. Handlers need not be beans.
 */
public final class WebSocketHandlerAdapterTracking implements BeanPostProcessor {

	private final Supplier<OpenStreams> streams;

	private final Supplier<StreamSettings> settings;

	/**
	 * Create the tracking.
	 * @param streams the open WebSocket sessions, looked up at the first session
	 * @param settings how streams are ended
	 */
	public WebSocketHandlerAdapterTracking(Supplier<OpenStreams> streams, Supplier<StreamSettings> settings) {
		this.streams = streams;
		this.settings = settings;
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof WebSocketHandlerAdapter adapter && !(bean instanceof TrackingAdapter)) {
			TrackingAdapter tracking = new TrackingAdapter(adapter);
			tracking.setOrder(adapter.getOrder());
			return tracking;
		}
		return bean;
	}

	private final class TrackingAdapter extends WebSocketHandlerAdapter {

		private TrackingAdapter(WebSocketHandlerAdapter delegate) {
			super(delegate.getWebSocketService());
		}

		@Override
		public Mono<HandlerResult> handle(ServerWebExchange exchange, Object handler) {
			return super.handle(exchange, new TrackingHandler((WebSocketHandler) handler));
		}

	}

	private final class TrackingHandler implements WebSocketHandler {

		private final WebSocketHandler delegate;

		private TrackingHandler(WebSocketHandler delegate) {
			this.delegate = delegate;
		}

		@Override
		public List<String> getSubProtocols() {
			return this.delegate.getSubProtocols();
		}

		@Override
		public Mono<Void> handle(WebSocketSession session) {
			return Mono.defer(() -> {
				StreamSettings current = settings.get();
				CloseStatus status = CloseStatus.GOING_AWAY.withReason(current.closeReason());
				String path = session.getHandshakeInfo().getUri().getPath();
				// Counted open from now on, handed off only once the handler has been
				// called: the listeners are to find what the handler set up on the session.
				if (current.listeners().isEmpty()) {
					// No listener can add messages: the handler gets the session itself.
					AtomicReference<Mono<Void>> closing = new AtomicReference<>();
					OpenStreams.Stream stream = streams.get().opening(path, session, (messages) -> {
						closing.set(PublisherHandOff.sendOnItsOwn(session.close(status)));
						return true;
					});
					// Once the hand-off has closed the session, what the handler still writes
					// fails, and its end waits for the close frame, which it would overtake.
					return handled(stream, () -> this.delegate.handle(session))
						.onErrorResume((ex) -> closing.get() != null, (ex) -> Mono.empty())
						.then(Mono.defer(() -> PublisherHandOff.whenSent(closing.get())))
						.doFinally((signal) -> stream.closed());
				}
				HandOffSession handOff = new HandOffSession(session, status);
				OpenStreams.Stream stream = streams.get().opening(path, session, handOff.handOff);
				return handled(stream, () -> this.delegate.handle(handOff)).then(handOff.handOff.ended())
					.doFinally((signal) -> stream.closed());
			});
		}

	}

	/**
	 * Call the handler of a session that is opening, then let the session be handed off.
	 */
	private static Mono<Void> handled(OpenStreams.Stream stream, Supplier<Mono<Void>> handler) {
		Mono<Void> handled;
		try {
			handled = handler.get();
		}
		catch (RuntimeException | Error ex) {
			stream.closed();
			throw ex;
		}
		stream.ready();
		return handled;
	}

	/**
	 * The session a handler gets when listeners may add messages of their own: what the
	 * handler sends goes through it, so that at the hand-off its outbound stream ends and
	 * the listeners' messages follow it, then the close frame; with no outbound stream
	 * open, they are sent on their own.
	 */
	private static final class HandOffSession implements WebSocketSession {

		private final WebSocketSession delegate;

		private final CloseStatus status;

		private final PublisherHandOff handOff;

		private HandOffSession(WebSocketSession delegate, CloseStatus status) {
			this.delegate = delegate;
			this.status = status;
			this.handOff = new PublisherHandOff((messages) -> delegate
				.send(Flux.fromIterable(messages).map(delegate::textMessage))
				.then(Mono.defer(() -> delegate.close(status))));
		}

		@Override
		public Mono<Void> send(Publisher<WebSocketMessage> messages) {
			return Mono.defer(() -> {
				AtomicBoolean last = new AtomicBoolean();
				Flux<WebSocketMessage> outbound = this.handOff.write(messages, (listenerMessages) -> {
					last.set(true);
					return Flux.fromIterable(listenerMessages).map(this.delegate::textMessage);
				});
				return this.delegate.send(outbound)
					.then(Mono.defer(() -> last.get() ? this.delegate.close(this.status) : Mono.empty()));
			});
		}

		@Override
		public String getId() {
			return this.delegate.getId();
		}

		@Override
		public HandshakeInfo getHandshakeInfo() {
			return this.delegate.getHandshakeInfo();
		}

		@Override
		public DataBufferFactory bufferFactory() {
			return this.delegate.bufferFactory();
		}

		@Override
		public Map<String, Object> getAttributes() {
			return this.delegate.getAttributes();
		}

		@Override
		public Flux<WebSocketMessage> receive() {
			return this.delegate.receive();
		}

		@Override
		public boolean isOpen() {
			return this.delegate.isOpen();
		}

		@Override
		public Mono<Void> close(CloseStatus status) {
			return this.delegate.close(status);
		}

		@Override
		public Mono<CloseStatus> closeStatus() {
			return this.delegate.closeStatus();
		}

		@Override
		public WebSocketMessage textMessage(String payload) {
			return this.delegate.textMessage(payload);
		}

		@Override
		public WebSocketMessage binaryMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
			return this.delegate.binaryMessage(payloadFactory);
		}

		@Override
		public WebSocketMessage pingMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
			return this.delegate.pingMessage(payloadFactory);
		}

		@Override
		public WebSocketMessage pongMessage(Function<DataBufferFactory, DataBuffer> payloadFactory) {
			return this.delegate.pongMessage(payloadFactory);
		}

		@Override
		public String toString() {
			return this.delegate.toString();
		}

	}

}
