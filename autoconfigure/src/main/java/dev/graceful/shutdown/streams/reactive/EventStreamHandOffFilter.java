package dev.graceful.shutdown.streams.reactive;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebExchangeDecorator;
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

	private static final String EVENT_STREAM = MediaType.TEXT_EVENT_STREAM_VALUE;

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
		// One decorator each for the exchange and its response: every request passes here.
		HandOffResponse response = new HandOffResponse(exchange);
		return chain.filter(new ServerWebExchangeDecorator(exchange) {

			@Override
			public ServerHttpResponse getResponse() {
				return response;
			}

		});
	}

	private final class HandOffResponse extends ServerHttpResponseDecorator {

		private final ServerWebExchange exchange;

		private HandOffResponse(ServerWebExchange exchange) {
			super(exchange.getResponse());
			this.exchange = exchange;
		}

		@Override
		public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
			if (!isEventStream()) {
				return super.writeWith(body);
			}
			return Mono.defer(() -> {
				Ending ending = new Ending(this.exchange);
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
				Ending ending = new Ending(this.exchange);
				Flux<Publisher<? extends DataBuffer>> events = Flux.<Publisher<? extends DataBuffer>>from(body)
					.takeUntilOther(ending.signal.asMono())
					.concatWith(Mono.defer(() -> lastEvent(ending).map(Mono::just)));
				return super.writeAndFlushWith(events).doFinally((signal) -> ending.stream.closed());
			});
		}

		private Mono<DataBuffer> lastEvent(Ending ending) {
			if (!ending.handedOff) {
				return Mono.empty();
			}
			StringBuilder text = new StringBuilder();
			for (String message : ending.messages) {
				text.append(new LastEvent("", message, null).toText());
			}
			LastEvent lastEvent = settings.get().lastEvent();
			if (lastEvent != null) {
				text.append(lastEvent.toText());
			}
			if (text.isEmpty()) {
				return Mono.empty();
			}
			return Mono.fromSupplier(() -> bufferFactory().wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
		}

		private boolean isEventStream() {
			// The header as written, not parsed: checked on every response body.
			String contentType = getHeaders().getFirst(HttpHeaders.CONTENT_TYPE);
			return contentType != null
					&& contentType.regionMatches(true, 0, EVENT_STREAM, 0, EVENT_STREAM.length())
					&& (contentType.length() == EVENT_STREAM.length()
							|| contentType.charAt(EVENT_STREAM.length()) == ';'
							|| contentType.charAt(EVENT_STREAM.length()) == ' ');
		}

	}

	/**
	 * The end of one stream: signalled by its hand-off.
	 */
	private final class Ending {

		private final Sinks.One<Boolean> signal = Sinks.one();

		private final OpenStreams.Stream stream;

		private volatile boolean handedOff;

		/** The application's messages, written before the last event. */
		private volatile List<String> messages = List.of();

		private Ending(ServerWebExchange exchange) {
			this.stream = streams.get().open(exchange.getRequest().getPath().value(), exchange, (messages) -> {
				this.messages = List.copyOf(messages);
				messages.clear();
				this.handedOff = true;
				this.signal.tryEmitValue(Boolean.TRUE);
				return true;
			});
		}

	}

}
