package dev.graceful.shutdown.streams.reactive;

import java.util.function.Supplier;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import dev.graceful.shutdown.streams.LastEvent;
import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.StreamSettings;

/**
 * Registers every {@code text/event-stream} response as an open stream, handed off by
 * ending its body: the application's event publisher is cancelled, the last event is
 * written, and the response completes, so the chunked body terminates cleanly and the
 * client reconnects elsewhere.
 */
public final class EventStreamHandOffFilter implements WebFilter, Ordered {

	private final Supplier<OpenStreams> streams;

	private final Supplier<StreamSettings> settings;

	/**
	 * Create the filter.
	 * @param streams the open SSE streams, looked up at the first stream
	 * @param settings how streams are ended
	 */
	public EventStreamHandOffFilter(Supplier<OpenStreams> streams, Supplier<StreamSettings> settings) {
		this.streams = streams;
		this.settings = settings;
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE + 10;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		return chain.filter(exchange.mutate().response(new HandOffResponse(exchange.getResponse())).build());
	}

	private final class HandOffResponse extends ServerHttpResponseDecorator {

		private HandOffResponse(ServerHttpResponse delegate) {
			super(delegate);
		}

		@Override
		public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
			if (!isEventStream()) {
				return super.writeWith(body);
			}
			return Mono.defer(() -> {
				Ending ending = new Ending();
				Flux<DataBuffer> events = Flux.<DataBuffer>from(body)
					.takeUntilOther(ending.signal.asMono())
					.concatWith(Mono.defer(() -> lastEvent(ending)));
				return super.writeWith(events).doFinally((signal) -> ending.stream.closed());
			});
		}

		@Override
		public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
			if (!isEventStream()) {
				return super.writeAndFlushWith(body);
			}
			return Mono.defer(() -> {
				Ending ending = new Ending();
				Flux<Publisher<? extends DataBuffer>> events = Flux.<Publisher<? extends DataBuffer>>from(body)
					.takeUntilOther(ending.signal.asMono())
					.concatWith(Mono.defer(() -> lastEvent(ending).map(Mono::just)));
				return super.writeAndFlushWith(events).doFinally((signal) -> ending.stream.closed());
			});
		}

		private Mono<DataBuffer> lastEvent(Ending ending) {
			LastEvent lastEvent = settings.get().lastEvent();
			if (!ending.handedOff || lastEvent == null) {
				return Mono.empty();
			}
			return Mono.fromSupplier(() -> bufferFactory().wrap(lastEvent.toBytes()));
		}

		private boolean isEventStream() {
			MediaType contentType = getHeaders().getContentType();
			return contentType != null && MediaType.TEXT_EVENT_STREAM.isCompatibleWith(contentType);
		}

	}

	/**
	 * The end of one stream: signalled by its hand-off.
	 */
	private final class Ending {

		private final Sinks.One<Boolean> signal = Sinks.one();

		private final OpenStreams.Stream stream;

		private volatile boolean handedOff;

		private Ending() {
			this.stream = streams.get().open(() -> {
				this.handedOff = true;
				this.signal.tryEmitValue(Boolean.TRUE);
				return true;
			});
		}

	}

}
