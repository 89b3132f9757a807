package dev.graceful.shutdown.streams.reactive;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

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
import dev.graceful.shutdown.streams.PublisherHandOff;
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
				PublisherHandOff handOff = new PublisherHandOff();
				OpenStreams.Stream stream = open(handOff);
				Flux<DataBuffer> events = handOff.write(Flux.<DataBuffer>from(body), this::lastEvents);
				return super.writeWith(events).doFinally((signal) -> stream.closed());
			});
		}

		@Override
		public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> body) {
			if (!isEventStream()) {
				return super.writeAndFlushWith(body);
			}
			return Mono.defer(() -> {
				PublisherHandOff handOff = new PublisherHandOff();
				OpenStreams.Stream stream = open(handOff);
				Flux<Publisher<? extends DataBuffer>> events = handOff.write(
						Flux.<Publisher<? extends DataBuffer>>from(body),
						(messages) -> lastEvents(messages).map(Mono::just));
				return super.writeAndFlushWith(events).doFinally((signal) -> stream.closed());
			});
		}

		private OpenStreams.Stream open(PublisherHandOff handOff) {
			return streams.get().open(this.exchange.getRequest().getPath().value(), this.exchange, handOff);
		}

		private Mono<DataBuffer> lastEvents(List<String> messages) {
			StringBuilder text = new StringBuilder();
			for (String message : messages) {
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

}
