package dev.graceful.shutdown.sample;

import java.time.Duration;
import java.util.Map;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The ticker over a WebSocket on Reactor Netty: {@code /ticks?after=n} sends
 * {@code tick n+1}, {@code tick n+2}, ... At shutdown the starter closes it with 1001
 * Going Away.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = Type.REACTIVE)
class ReactiveTicker {

	@Bean
	WebFluxConfigurer reactorNettyWebSockets() {
		// Jetty's WebSocket server is on the class path too (the sample also runs on
		// Jetty): WebFlux would pick Jetty's upgrade, which fails on Reactor Netty.
		return new WebFluxConfigurer() {

			@Override
			public WebSocketService getWebSocketService() {
				return new HandshakeWebSocketService(new ReactorNettyRequestUpgradeStrategy());
			}

		};
	}

	@Bean
	HandlerMapping tickerWebSocketMapping(Ticks ticks) {
		WebSocketHandler handler = (session) -> {
			String after = UriComponentsBuilder.fromUri(session.getHandshakeInfo().getUri())
				.build()
				.getQueryParams()
				.getFirst("after");
			long first = (after != null) ? Long.parseLong(after) + 1 : 1;
			TickerResumeHint.SentTicks sent = new TickerResumeHint.SentTicks(first - 1);
			session.getAttributes().put(TickerResumeHint.LAST_TICK, sent);
			// A tick goes out (into the session's outbound stream) inside SentTicks, so
			// that the resume message names the last one that did.
			Mono<Void> sending = session.send(ticks(ticks, first).<WebSocketMessage>handle((n, sink) -> {
				try {
					if (!sent.send(n, () -> sink.next(session.textMessage(Ticks.tick(n))))) {
						sink.complete();
					}
				}
				catch (Exception ex) {
					sink.error(ex);
				}
			}));
			return Mono.firstWithSignal(sending, session.receive().then());
		};
		return new SimpleUrlHandlerMapping(Map.of("/ticks", handler), -1);
	}

	/**
	 * Ticks from {@code first} on, one per interval. {@code Flux.interval} fails with an
	 * {@code OverflowException} when a tick is due before the subscriber asked for it,
	 * which a server writing the response does now and then (on a busy, freshly started
	 * instance even for the first tick): the ticks wait in a buffer instead.
	 * @param ticks the ticker
	 * @param first the first tick
	 * @return the ticks
	 */
	static Flux<Long> ticks(Ticks ticks, long first) {
		return Flux.interval(Duration.ZERO, ticks.interval()).onBackpressureBuffer().map((i) -> first + i);
	}

}
