package dev.graceful.shutdown.sample;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.handler.TextWebSocketHandler;
import org.springframework.web.socket.server.standard.StandardWebSocketUpgradeStrategy;
import org.springframework.web.socket.server.support.DefaultHandshakeHandler;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The ticker over a WebSocket on Tomcat or Jetty: {@code /ticks?after=n} sends
 * {@code tick n+1}, {@code tick n+2}, ... At shutdown the starter closes it with 1001
 * Going Away.
 * <p>
 * The handshake uses the Jakarta WebSocket upgrade, which both servers implement: with
 * Jetty's WebSocket server on the class path (the sample can run on either), Spring's
 * default handshake would pick Jetty's own upgrade, which fails on Tomcat.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication(type = Type.SERVLET)
@EnableWebSocket
class TickerWebSocket {

	@Bean
	TickHandler tickHandler(Ticks ticks) {
		return new TickHandler(ticks);
	}

	@Bean
	WebSocketConfigurer tickerWebSocketConfigurer(TickHandler tickHandler) {
		return (registry) -> registry.addHandler(tickHandler, "/ticks")
			.setHandshakeHandler(new DefaultHandshakeHandler(new StandardWebSocketUpgradeStrategy()));
	}

	static class TickHandler extends TextWebSocketHandler {

		private final Ticks ticks;

		private final Map<String, ScheduledFuture<?>> schedules = new ConcurrentHashMap<>();

		TickHandler(Ticks ticks) {
			this.ticks = ticks;
		}

		@Override
		public void afterConnectionEstablished(WebSocketSession session) {
			String after = (session.getUri() != null)
					? UriComponentsBuilder.fromUri(session.getUri()).build().getQueryParams().getFirst("after") : null;
			long first = (after != null) ? Long.parseLong(after) + 1 : 1;
			TickerResumeHint.SentTicks sent = new TickerResumeHint.SentTicks(first - 1);
			session.getAttributes().put(TickerResumeHint.LAST_TICK, sent);
			this.schedules.put(session.getId(), this.ticks.start(first, (n) -> {
				try {
					return sent.send(n, () -> session.sendMessage(new TextMessage(Ticks.tick(n))));
				}
				catch (Exception ex) {
					return false;
				}
			}));
		}

		@Override
		public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
			ScheduledFuture<?> schedule = this.schedules.remove(session.getId());
			if (schedule != null) {
				schedule.cancel(false);
			}
		}

	}

}
