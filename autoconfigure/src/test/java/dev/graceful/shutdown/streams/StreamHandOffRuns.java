package dev.graceful.shutdown.streams;

import java.time.Duration;
import java.util.Map;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import org.springframework.web.socket.server.standard.StandardWebSocketUpgradeStrategy;
import org.springframework.web.socket.server.support.DefaultHandshakeHandler;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the servlet and the reactive hand-off tests share: starting a test application on
 * a random port, shutting it down under open streams, and what plain Spring Boot and the
 * starter each do with those streams.
 */
final class StreamHandOffRuns {

	private StreamHandOffRuns() {
	}

	/**
	 * The Jakarta WebSocket upgrade, which Tomcat and Jetty both implement: with Jetty's
	 * WebSocket server on the test class path, Spring's default handshake picks Jetty's
	 * own upgrade, which fails on Tomcat.
	 */
	static DefaultHandshakeHandler standardHandshake() {
		return new DefaultHandshakeHandler(new StandardWebSocketUpgradeStrategy());
	}

	/**
	 * Reactor Netty's WebSocket upgrade: with Jetty's WebSocket server on the test class
	 * path, WebFlux would pick Jetty's, which fails on Reactor Netty.
	 */
	static WebFluxConfigurer reactorNettyWebSockets() {
		return new WebFluxConfigurer() {

			@Override
			public WebSocketService getWebSocketService() {
				return new HandshakeWebSocketService(new ReactorNettyRequestUpgradeStrategy());
			}

		};
	}

	static ConfigurableApplicationContext start(Class<?> application, WebApplicationType type,
			String... properties) {
		return start(application, type, new String[0], properties);
	}

	static ConfigurableApplicationContext start(Class<?> application, WebApplicationType type, String[] args,
			String... properties) {
		return new SpringApplicationBuilder(application).web(type)
			.registerShutdownHook(false)
			.properties("server.port=0", "spring.main.banner-mode=off", "spring.main.cloud-platform=none",
					"spring.lifecycle.timeout-per-shutdown-phase=5s")
			.properties(properties)
			.run(args);
	}

	/**
	 * Open the given number of SSE streams and WebSockets, then shut the application down
	 * (the context is closed when this returns).
	 */
	static StreamLoad.Outcome openAndShutDown(ConfigurableApplicationContext context, int streams)
			throws Exception {
		int port = ((WebServerApplicationContext) context).getWebServer().getPort();
		try (StreamLoad load = new StreamLoad()) {
			load.open(port, streams, "/sse", streams, "/ws");
			return load.closeAndAwait(context);
		}
	}

	/**
	 * The participants' deadline in {@link #assertUnansweredCloseHoldsTheShutdownForTheGraceOnly}.
	 */
	static final String PARTICIPANTS_TIMEOUT = "graceful.shutdown.participants.timeout=10s";

	/**
	 * One WebSocket whose client reads everything but never answers the close frame (hung,
	 * or its network gone): it gets the starter's 1001, and holds the shutdown for the
	 * grace given to a closing connection at most (1 s; Tomcat waits for the answer that
	 * long, Jetty and Reactor Netty report the session closed once their close frame is
	 * out), never until the participant's deadline (10 s). The context is closed when
	 * this returns.
	 */
	static void assertUnansweredCloseHoldsTheShutdownForTheGraceOnly(ConfigurableApplicationContext context,
			String path) throws Exception {
		int port = ((WebServerApplicationContext) context).getWebServer().getPort();
		try (SilentWebSocket client = SilentWebSocket.open(port, path)) {
			assertThat(client.awaitFirstFrame(StreamLoad.TIMEOUT)).as("first message").isTrue();
			// The handler's first message can arrive before the handler has returned, and the
			// session is handed off only once it has: a shutdown starting in between hands it
			// off as it becomes ready, before the step starts, which then counts it handed
			// back only. Here it is open when the shutdown starts.
			OpenStreams open = context.getBean(StreamHandOff.WEBSOCKETS, StreamHandOff.class).streams();
			await().atMost(StreamLoad.TIMEOUT).until(() -> open.readyCount() == 1);
			ShutdownReport report = ShutdownReports.close(context);
			System.out.println("A client that never answers the close frame: " + report.phases());

			assertThat(client.awaitCloseFrame(Duration.ofSeconds(5))).isEqualTo(1001);
			Phase webSockets = report.phase(StreamHandOff.WEBSOCKETS);
			assertThat(webSockets.outcome()).isEqualTo(Outcome.COMPLETED);
			assertThat(webSockets.counts()).isEqualTo(new Counts(1, 1, 0, 0, 1));
			assertThat(webSockets.durationMs()).isLessThan(OpenStreams.CLOSING_GRACE.toMillis() + 4000);
		}
	}

	static void assertCutByPlainSpringBoot(StreamLoad.Outcome plain) {
		// Plain Spring Boot holds the streams until its phase timeout (5 s here), then the
		// server's stop ends them without a last event or a 1001.
		assertThat(plain.firstEndMs()).isGreaterThanOrEqualTo(5000);
		assertSseCut(plain);
		assertThat(plain.goingAway()).isZero();
		assertThat(plain.closeCodes()).doesNotContainKey(1001);
	}

	/**
	 * Plain Spring Boot on Jetty: the SSE streams are held until the phase timeout and cut;
	 * Jetty's own graceful shutdown closes every WebSocket with 1001 at once, at the
	 * shutdown's start (with no delay before it).
	 */
	static void assertCutByPlainSpringBootOnJetty(StreamLoad.Outcome plain, int streams) {
		assertSseCut(plain);
		assertThat(plain.lastEndMs()).isGreaterThanOrEqualTo(5000);
		assertThat(plain.goingAway()).isZero();
		assertThat(plain.closeCodes()).isEqualTo(Map.of(1001, streams));
	}

	private static void assertSseCut(StreamLoad.Outcome plain) {
		// Ended by the server's stop, whichever way (Tomcat ends the async requests), but
		// none with a last event.
		assertThat(plain.sseLastEvent()).isZero();
	}

	/**
	 * The streams handed off once the delay is over, before the server's own graceful
	 * shutdown starts: every SSE stream with the last event and a clean end, every
	 * WebSocket with the starter's close frame (on Jetty too, whose graceful shutdown
	 * would close idle WebSockets itself).
	 */
	static void assertHandedOffAfterTheDelay(StreamLoad.Outcome handedOff, int streams) {
		assertThat(handedOff.sseClean()).isEqualTo(streams);
		assertThat(handedOff.sseLastEvent()).isEqualTo(streams);
		assertThat(handedOff.closeCodes()).isEqualTo(Map.of(1001, streams));
		assertThat(handedOff.goingAway()).isEqualTo(streams);
		// Served through the delay, handed off when it is over.
		assertThat(handedOff.firstEndMs()).isGreaterThanOrEqualTo(1000);
		Phase sse = handedOff.report().phase(StreamHandOff.SSE);
		assertThat(sse.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(sse.counts()).isEqualTo(new Counts(streams, streams, 0, 0, streams));
		Phase webSockets = handedOff.report().phase(StreamHandOff.WEBSOCKETS);
		assertThat(webSockets.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(webSockets.counts()).isEqualTo(new Counts(streams, streams, 0, 0, streams));
	}

}
