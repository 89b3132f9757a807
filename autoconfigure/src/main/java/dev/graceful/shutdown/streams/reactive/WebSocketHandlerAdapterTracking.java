package dev.graceful.shutdown.streams.reactive;

import java.util.List;
import java.util.function.Supplier;

import reactor.core.publisher.Mono;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.web.reactive.HandlerResult;
import org.springframework.web.reactive.socket.CloseStatus;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketSession;
import org.springframework.web.reactive.socket.server.support.WebSocketHandlerAdapter;
import org.springframework.web.server.ServerWebExchange;

import dev.graceful.shutdown.streams.OpenStreams;
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
			CloseStatus status = CloseStatus.GOING_AWAY.withReason(settings.get().closeReason());
			return Mono.defer(() -> {
				OpenStreams.Stream stream = streams.get().open(() -> {
					session.close(status).subscribe();
					return true;
				});
				return this.delegate.handle(session).doFinally((signal) -> stream.closed());
			});
		}

	}

}
