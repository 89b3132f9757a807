package dev.graceful.shutdown.sample;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * The resumable server-sent event ticker on Reactor Netty: {@code GET /ticker} streams
 * {@code id: n, data: tick n}, resuming after {@code Last-Event-ID}.
 */
@RestController
@ConditionalOnWebApplication(type = Type.REACTIVE)
class ReactiveTickerController {

	private final Ticks ticks;

	ReactiveTickerController(Ticks ticks) {
		this.ticks = ticks;
	}

	@GetMapping(path = "/ticker", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	Flux<ServerSentEvent<String>> ticker(
			@RequestHeader(name = "Last-Event-ID", required = false) @Nullable Long lastEventId) {
		long first = (lastEventId != null) ? lastEventId + 1 : 1;
		return ReactiveTicker.ticks(this.ticks, first)
			.map((n) -> ServerSentEvent.builder(Ticks.tick(n)).id(Long.toString(n)).build());
	}

}
