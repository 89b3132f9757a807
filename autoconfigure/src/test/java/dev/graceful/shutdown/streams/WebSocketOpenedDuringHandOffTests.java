package dev.graceful.shutdown.streams;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.WebSocketHandler;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.handler.TextWebSocketHandler;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.StreamHandOffListener;
import dev.graceful.shutdown.testsupport.WebSocketStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A WebSocket that opens while the streams are being handed off (a balancer slow to take
 * the instance out of its rotation) is handed off at once, and only after the
 * application's handler has been told of it: the application's listener finds on the
 * session what the handler set up (here the resume state a real application keeps), and
 * the handler never gets a session the starter has already closed. On Tomcat (Spring
 * WebSocket) and Reactor Netty (WebFlux), with a listener and without. A hand-off spread
 * over 6 s holds it open while the late one connects; the report counts the late one
 * handed off. Sessions that were still opening as the hand-off began (on Tomcat, the
 * early ones' handler has not returned yet) wait for their turn in the spread, like the
 * others, instead of being handed off together as they become ready.
 */
@Timeout(120)
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "servlet", "reactive" })
class WebSocketOpenedDuringHandOffTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(30);

	/** How long the early sessions' handler goes on after its greeting, on Tomcat. */
	private static final Duration LINGER = Duration.ofMillis(1500);

	private static final String STATE = WebSocketOpenedDuringHandOffTests.class.getName() + ".state";

	@Parameter
	String stack;

	private ConfigurableApplicationContext context;

	@AfterEach
	void close() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void listenerFindsWhatTheHandlerSetUpOnASessionOpenedDuringTheHandOff() throws Exception {
		WebSocketStream late = handOffWithALateSession();
		// Tomcat: the handler's greeting, sent as it was told of the session, then the
		// listener's message. WebFlux: the handler's outbound starts after the hand-off,
		// which cuts it; the listener's message goes out on its own.
		assertThat(late.messages()).containsExactlyElementsOf(
				this.stack.equals("servlet") ? List.of("hello", "state set-up") : List.of("state set-up"));
	}

	@Test
	void withoutListenersASessionOpenedDuringTheHandOffIsClosedGoingAway() throws Exception {
		WebSocketStream late = handOffWithALateSession("test.listener=false");
		if (this.stack.equals("servlet")) {
			assertThat(late.messages()).containsExactly("hello");
		}
	}

	/**
	 * Two WebSockets open; the shutdown hands them off 3 s apart, and in between a third
	 * one opens, which is handed off as it opens: it closes 1001, its handler did not fail,
	 * and the report counts it handed off.
	 * @return the third one
	 */
	private WebSocketStream handOffWithALateSession(String... properties) throws Exception {
		boolean servlet = this.stack.equals("servlet");
		List<String> settings = new ArrayList<>(List.of("graceful.shutdown.delay=0s",
				"graceful.shutdown.web.streams.spread=6s"));
		settings.addAll(List.of(properties));
		this.context = StreamHandOffRuns.start(servlet ? ServletApplication.class : ReactiveApplication.class,
				servlet ? WebApplicationType.SERVLET : WebApplicationType.REACTIVE, settings.toArray(String[]::new));
		int port = ((WebServerApplicationContext) this.context).getWebServer().getPort();
		HttpClient client = HttpClient.newHttpClient();
		WebSocketStream first = WebSocketStream.open(client, port, "/ws/early");
		WebSocketStream second = WebSocketStream.open(client, port, "/ws/early");
		assertThat(first.awaitFirstMessage(TIMEOUT)).isTrue();
		assertThat(second.awaitFirstMessage(TIMEOUT)).isTrue();
		GreetingHandler.failures.set(0);

		ConfigurableApplicationContext closing = this.context;
		this.context = null;
		CompletableFuture<ShutdownReport> report = CompletableFuture.supplyAsync(() -> ShutdownReports.close(closing));
		// One is handed off, in either order; the other 3 s later.
		long deadline = System.nanoTime() + TIMEOUT.toNanos();
		while (first.awaitClose(Duration.ofMillis(10)) == null && second.awaitClose(Duration.ofMillis(10)) == null) {
			assertThat(System.nanoTime() - deadline).as("a first hand-off").isNegative();
		}
		WebSocketStream earlier = (first.awaitClose(Duration.ZERO) != null) ? first : second;
		WebSocketStream later = (earlier == first) ? second : first;
		// On Tomcat both early sessions were still opening as the hand-off began (their
		// handler lingers after its greeting): the one whose turn came first is handed off
		// as its handler returns, the other still waits for its turn, 3 s after the first
		// turn, instead of following it as its own handler returns.
		assertThat(later.awaitClose(Duration.ofMillis(500)))
			.as(() -> "%s: the second early session closed %d ms after the first, not at its turn".formatted(
					this.stack, TimeUnit.NANOSECONDS.toMillis(later.endNanos() - earlier.endNanos())))
			.isNull();

		WebSocketStream late = WebSocketStream.open(client, port, "/ws/late");
		assertThat(late.awaitClose(TIMEOUT)).as("close code after %s", late.messages()).isEqualTo(1001);
		assertThat(GreetingHandler.failures).hasValue(0);
		assertThat(first.awaitClose(TIMEOUT)).isEqualTo(1001);
		assertThat(second.awaitClose(TIMEOUT)).isEqualTo(1001);
		ShutdownReport done = report.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(done.phase(StreamHandOff.WEBSOCKETS).counts()).isEqualTo(new Counts(2, 2, 0, 0, 3));
		return late;
	}

	/**
	 * Sends, on every WebSocket, the state the handler set up on it.
	 */
	static class StateListener implements StreamHandOffListener {

		@Override
		public void beforeHandOff(OpenStream stream) {
			stream.send("state " + attributes(stream).get(STATE));
		}

		private static Map<String, Object> attributes(OpenStream stream) {
			WebSocketSession session = stream.unwrap(WebSocketSession.class);
			if (session != null) {
				return session.getAttributes();
			}
			return stream.unwrap(org.springframework.web.reactive.socket.WebSocketSession.class).getAttributes();
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EnableWebSocket
	static class ServletApplication {

		@Bean
		@ConditionalOnBooleanProperty(name = "test.listener", matchIfMissing = true)
		StateListener stateListener() {
			return new StateListener();
		}

		@Bean
		GreetingHandler greetingHandler() {
			return new GreetingHandler();
		}

		@Bean
		WebSocketConfigurer webSocketConfigurer(GreetingHandler handler) {
			return (registry) -> registry.addHandler(handler, "/ws/early", "/ws/late")
				.setHandshakeHandler(StreamHandOffRuns.standardHandshake());
		}

	}

	/**
	 * Sets up its state on the session, then greets the client, as it is told of the
	 * session; counts the sessions it could not greet. On the early sessions it lingers
	 * after the greeting, as a handler that goes on setting up would: the client has its
	 * greeting and the test begins the shutdown while both are still opening.
	 */
	static class GreetingHandler extends TextWebSocketHandler {

		static final AtomicInteger failures = new AtomicInteger();

		@Override
		public void afterConnectionEstablished(WebSocketSession session) throws Exception {
			session.getAttributes().put(STATE, "set-up");
			try {
				session.sendMessage(new TextMessage("hello"));
			}
			catch (Exception | Error ex) {
				failures.incrementAndGet();
				throw ex;
			}
			if (String.valueOf(session.getUri()).endsWith("/ws/early")) {
				Thread.sleep(LINGER.toMillis());
			}
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class ReactiveApplication {

		@Bean
		@ConditionalOnBooleanProperty(name = "test.listener", matchIfMissing = true)
		StateListener stateListener() {
			return new StateListener();
		}

		@Bean
		WebFluxConfigurer reactorNettyWebSockets() {
			return StreamHandOffRuns.reactorNettyWebSockets();
		}

		@Bean
		HandlerMapping webSocketMapping() {
			// Sets up its state on the session, then greets the client and keeps its
			// outbound stream open.
			WebSocketHandler greeting = (session) -> {
				session.getAttributes().put(STATE, "set-up");
				return session.send(Flux.just(session.textMessage("hello")).concatWith(Flux.never()));
			};
			return new SimpleUrlHandlerMapping(Map.of("/ws/early", greeting, "/ws/late", greeting), -1);
		}

	}

}
