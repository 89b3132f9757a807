package dev.graceful.shutdown.streams;

import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import jakarta.servlet.http.HttpServletRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.reactive.socket.WebSocketMessage;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.handler.TextWebSocketHandler;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.StreamHandOffListener;
import dev.graceful.shutdown.testsupport.SseStream;
import dev.graceful.shutdown.testsupport.WebSocketStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The application's {@link StreamHandOffListener}: on Tomcat (Spring MVC, Spring
 * WebSocket) and Reactor Netty (WebFlux), a listener sends a message of its own before the
 * starter's last event or close frame on some streams, and keeps others, which the
 * starter then neither writes to nor ends: the application ends them its own way. On
 * streams written from a publisher ({@code Flux} bodies, WebFlux WebSocket outbounds),
 * the listener also ends the application's publisher before it sends its message, as an
 * application stops its ticks: the message and the starter's end still follow.
 */
@Timeout(120)
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "servlet", "reactive" })
class StreamHandOffListenerTests {

	private static final int STREAMS = 20;

	private static final String END = StreamHandOffListenerTests.class.getName() + ".end";

	private static final Duration TIMEOUT = Duration.ofSeconds(30);

	@Parameter
	String stack;

	private final List<SseStream> sse = new ArrayList<>();

	private ConfigurableApplicationContext context;

	@AfterEach
	void close() {
		this.sse.forEach(SseStream::close);
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void listenerSendsItsOwnLastMessageFirstOrKeepsTheStream() throws Exception {
		boolean servlet = this.stack.equals("servlet");
		this.context = StreamHandOffRuns.start(servlet ? ServletApplication.class : ReactiveApplication.class,
				servlet ? WebApplicationType.SERVLET : WebApplicationType.REACTIVE, "graceful.shutdown.delay=0s");
		int port = ((WebServerApplicationContext) this.context).getWebServer().getPort();
		HttpClient client = HttpClient.newHttpClient();
		List<WebSocketStream> resumable = new ArrayList<>();
		for (int i = 0; i < STREAMS; i++) {
			resumable.add(WebSocketStream.open(client, port, "/ws/resumable"));
		}
		for (int i = 0; i < STREAMS; i++) {
			resumable.add(WebSocketStream.open(client, port, "/ws/ending"));
		}
		WebSocketStream keptWebSocket = WebSocketStream.open(client, port, "/ws/kept");
		List<SseStream> resumableSse = new ArrayList<>();
		for (int i = 0; i < STREAMS; i++) {
			resumableSse.add(open(port, "/sse/resumable"));
			resumableSse.add(open(port, "/sse/ending"));
		}
		SseStream keptSse = open(port, "/sse/kept");
		for (SseStream stream : this.sse) {
			assertThat(stream.awaitFirstEvent(TIMEOUT)).isTrue();
		}
		for (WebSocketStream webSocket : resumable) {
			assertThat(webSocket.awaitFirstMessage(TIMEOUT)).isTrue();
		}
		assertThat(keptWebSocket.awaitFirstMessage(TIMEOUT)).isTrue();

		ConfigurableApplicationContext closing = this.context;
		this.context = null;
		CompletableFuture<ShutdownReport> report = CompletableFuture.supplyAsync(() -> ShutdownReports.close(closing));

		// Resumable streams, and those whose publisher the listener ended: the listener's
		// message, then the starter's last event or 1001.
		for (int i = 0; i < resumableSse.size(); i++) {
			SseStream stream = resumableSse.get(i);
			assertThat(stream.awaitEnd(TIMEOUT)).isTrue();
			assertThat(stream.endedCleanly()).isTrue();
			assertThat(stream.events()).extracting(SseStream.Event::name, SseStream.Event::data)
				.containsExactly(tuple(null, "tick 1"),
						tuple(null, "resume-token SSE " + ((i % 2 == 0) ? "/sse/resumable" : "/sse/ending")),
						tuple("shutdown", "reconnect"));
		}
		for (int i = 0; i < resumable.size(); i++) {
			WebSocketStream webSocket = resumable.get(i);
			assertThat(webSocket.awaitClose(TIMEOUT)).isEqualTo(1001);
			assertThat(webSocket.messages()).containsExactly("tick 1",
					"resume-token WEBSOCKET " + ((i < STREAMS) ? "/ws/resumable" : "/ws/ending"));
		}
		// Kept streams: ended the application's way, without the starter's last event or
		// close frame.
		assertThat(keptSse.awaitEnd(TIMEOUT)).isTrue();
		assertThat(keptSse.endedCleanly()).isTrue();
		assertThat(keptSse.events()).extracting(SseStream.Event::name, SseStream.Event::data)
			.containsExactly(tuple(null, "tick 1"), tuple("bye", "own"));
		assertThat(keptWebSocket.awaitClose(TIMEOUT)).isEqualTo(1012);
		assertThat(keptWebSocket.messages()).containsExactly("tick 1");

		ShutdownReport done = report.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		int handedOff = 2 * STREAMS;
		assertThat(done.phase(StreamHandOff.SSE).counts())
			.isEqualTo(new Counts(handedOff + 1, handedOff + 1, 0, 0, handedOff));
		assertThat(done.phase(StreamHandOff.WEBSOCKETS).counts())
			.isEqualTo(new Counts(handedOff + 1, handedOff + 1, 0, 0, handedOff));
	}

	private SseStream open(int port, String path) throws IOException {
		SseStream stream = SseStream.open(port, path, null);
		this.sse.add(stream);
		return stream;
	}

	/**
	 * Sends a resume token on the streams at {@code .../resumable} and
	 * {@code .../ending}, after it has ended the application's publisher of the latter;
	 * keeps those at {@code .../kept} and ends them its own way (an event of its own,
	 * close code 1012 Service Restart).
	 */
	static class ResumeTokens implements StreamHandOffListener {

		@Override
		public void beforeHandOff(OpenStream stream) throws Exception {
			if (stream.path().endsWith("/ending")) {
				end(stream);
			}
			if (!stream.path().endsWith("/kept")) {
				stream.send("resume-token " + stream.kind() + " " + stream.path());
				return;
			}
			stream.skip();
			SseEmitter emitter = stream.unwrap(SseEmitter.class);
			if (emitter != null) {
				emitter.send(SseEmitter.event().name("bye").data("own"));
				emitter.complete();
			}
			WebSocketSession session = stream.unwrap(WebSocketSession.class);
			if (session != null) {
				session.close(CloseStatus.SERVICE_RESTARTED);
			}
			org.springframework.web.reactive.socket.WebSocketSession reactiveSession = stream
				.unwrap(org.springframework.web.reactive.socket.WebSocketSession.class);
			if (reactiveSession != null) {
				reactiveSession.close(org.springframework.web.reactive.socket.CloseStatus.SERVICE_RESTARTED).subscribe();
			}
			end(stream);
		}

		/**
		 * End the application's publisher of a stream, if it has one: WebFlux's event
		 * streams and WebSocket outbounds, Spring MVC's {@code Flux} bodies.
		 */
		private static void end(OpenStream stream) {
			Object end = null;
			ServerWebExchange exchange = stream.unwrap(ServerWebExchange.class);
			if (exchange != null) {
				end = exchange.getAttribute(END);
			}
			org.springframework.web.reactive.socket.WebSocketSession reactiveSession = stream
				.unwrap(org.springframework.web.reactive.socket.WebSocketSession.class);
			if (reactiveSession != null) {
				end = reactiveSession.getAttributes().get(END);
			}
			HttpServletRequest request = stream.unwrap(HttpServletRequest.class);
			if (request != null) {
				end = request.getAttribute(END);
			}
			if (end instanceof Sinks.Empty<?> sink) {
				assertThat(sink.tryEmitEmpty().isSuccess()).isTrue();
			}
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EnableWebSocket
	static class ServletApplication {

		@Bean
		ResumeTokens resumeTokens() {
			return new ResumeTokens();
		}

		@Bean
		ServletTicks servletTicks() {
			return new ServletTicks();
		}

		@Bean
		ServletTickHandler servletTickHandler() {
			return new ServletTickHandler();
		}

		@Bean
		WebSocketConfigurer webSocketConfigurer(ServletTickHandler handler) {
			// Its sends are synchronous: at "/ws/ending" it just sends no more.
			return (registry) -> registry.addHandler(handler, "/ws/resumable", "/ws/ending", "/ws/kept")
				.setHandshakeHandler(StreamHandOffRuns.standardHandshake());
		}

	}

	@RestController
	static class ServletTicks {

		@GetMapping({ "/sse/resumable", "/sse/kept" })
		SseEmitter sse() throws IOException {
			SseEmitter emitter = new SseEmitter(0L);
			emitter.send(SseEmitter.event().data("tick 1"));
			return emitter;
		}

		@GetMapping(path = "/sse/ending", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
		Flux<ServerSentEvent<String>> ending(HttpServletRequest request) {
			// Written by Spring MVC from the publisher; ends when the application says so.
			Sinks.Empty<Void> end = Sinks.empty();
			request.setAttribute(END, end);
			return Flux.just(ServerSentEvent.builder("tick 1").build()).concatWith(end.asMono().thenMany(Flux.empty()));
		}

	}

	static class ServletTickHandler extends TextWebSocketHandler {

		@Override
		public void afterConnectionEstablished(WebSocketSession session) throws Exception {
			session.sendMessage(new TextMessage("tick 1"));
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class ReactiveApplication {

		@Bean
		ResumeTokens resumeTokens() {
			return new ResumeTokens();
		}

		@Bean
		ReactiveTicks reactiveTicks() {
			return new ReactiveTicks();
		}

		@Bean
		WebFluxConfigurer reactorNettyWebSockets() {
			return StreamHandOffRuns.reactorNettyWebSockets();
		}

		@Bean
		HandlerMapping webSocketMapping() {
			// Sends its first message and keeps its outbound stream open: the listener's
			// message follows the end of that stream.
			WebSocketHandler ticks = (session) -> session
				.send(Flux.just(session.textMessage("tick 1")).concatWith(Flux.never()));
			// Ends its outbound stream when the application says so.
			WebSocketHandler ending = (session) -> {
				Sinks.Empty<Void> end = Sinks.empty();
				session.getAttributes().put(END, end);
				return session.send(Flux.just(session.textMessage("tick 1"))
					.concatWith(end.asMono().thenMany(Flux.<WebSocketMessage>empty())));
			};
			return new SimpleUrlHandlerMapping(Map.of("/ws/resumable", ticks, "/ws/ending", ending, "/ws/kept", ticks),
					-1);
		}

	}

	@RestController
	static class ReactiveTicks {

		@GetMapping(path = { "/sse/resumable", "/sse/ending", "/sse/kept" },
				produces = MediaType.TEXT_EVENT_STREAM_VALUE)
		Flux<ServerSentEvent<String>> sse(ServerWebExchange exchange) {
			// Ends when the application says so: with an event of its own if kept.
			Sinks.Empty<Void> end = Sinks.empty();
			exchange.getAttributes().put(END, end);
			Flux<ServerSentEvent<String>> own = exchange.getRequest().getPath().value().endsWith("/kept")
					? Flux.just(ServerSentEvent.builder("own").event("bye").build()) : Flux.empty();
			return Flux.just(ServerSentEvent.builder("tick 1").build()).concatWith(end.asMono().thenMany(own));
		}

	}

}
