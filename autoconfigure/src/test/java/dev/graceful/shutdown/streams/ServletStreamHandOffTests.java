package dev.graceful.shutdown.streams;

import java.io.IOException;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
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
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.handler.TextWebSocketHandler;

import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-off of SSE streams ({@code SseEmitter}) and WebSockets (Spring WebSocket) on a real
 * Tomcat and a real Jetty 12, against plain Spring Boot in the same run.
 */
@Timeout(180)
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "tomcat", "jetty" })
class ServletStreamHandOffTests {

	/**
	 * Run on Jetty: the test resources' application.properties excludes Jetty's
	 * auto-configuration; a command-line argument replaces that list with Tomcat's.
	 */
	private static final String[] ON_JETTY = { "--spring.autoconfigure.exclude="
			+ "org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration" };

	@Parameter
	String server;

	private static final int STREAMS = Integer.getInteger("streams.clients", 200);

	private ConfigurableApplicationContext context;

	private MeterRegistry meters;

	@AfterEach
	void close() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void openStreamsEndCleanlyWhenTheDrainStartsWhereSpringBootCutsThem() throws Exception {
		StreamLoad.Outcome plain = run("graceful.shutdown.enabled=false");
		StreamLoad.Outcome handedOff = run("graceful.shutdown.delay=1s");
		System.out.println(this.server + ", plain Spring Boot: " + plain.summary());
		System.out.println(this.server + ", with the starter:  " + handedOff.summary());

		if (onTomcat()) {
			StreamHandOffRuns.assertCutByPlainSpringBoot(plain);
		}
		else {
			StreamHandOffRuns.assertCutByPlainSpringBootOnJetty(plain, STREAMS);
		}
		StreamHandOffRuns.assertHandedOffAfterTheDelay(handedOff, STREAMS);
		assertThat(handedOff.report().phase("drain").outcome()).isEqualTo(Outcome.COMPLETED);
		for (String kind : new String[] { "sse", "websocket" }) {
			assertThat(this.meters.get(StreamMeters.HANDED_OFF).tag("kind", kind).functionCounter().count())
				.isEqualTo(STREAMS);
			assertThat(this.meters.get(StreamMeters.CLOSED).tag("kind", kind).counter().count()).isEqualTo(STREAMS);
			assertThat(this.meters.get(StreamMeters.CUT).tag("kind", kind).counter().count()).isZero();
			assertThat(this.meters.get(StreamMeters.OPEN).tag("kind", kind).gauge().value()).isZero();
		}
	}

	@Test
	void handOffIsSpreadOverTheWindow() throws Exception {
		StreamLoad.Outcome outcome = run("graceful.shutdown.delay=0s", "graceful.shutdown.web.streams.spread=2s");
		System.out.println(this.server + ", spread 2s: " + outcome.summary());

		assertThat(outcome.sseClean()).isEqualTo(STREAMS);
		assertThat(outcome.closeCodes()).isEqualTo(Map.of(1001, STREAMS));
		assertThat(outcome.goingAway()).isEqualTo(STREAMS);
		// Each kind spread over 2 s: its last stream is handed off at 2 s * (n - 1) / n.
		assertThat(outcome.lastEndMs() - outcome.firstEndMs()).isGreaterThanOrEqualTo(1900);
		assertThat(outcome.report().phase(StreamHandOff.SSE).counts())
			.isEqualTo(new Counts(STREAMS, STREAMS, 0, 0, STREAMS));
		assertThat(outcome.report().phase(StreamHandOff.WEBSOCKETS).counts())
			.isEqualTo(new Counts(STREAMS, STREAMS, 0, 0, STREAMS));
	}

	@Test
	void webSocketClientThatNeverAnswersTheCloseFrameHoldsTheShutdownForTheGraceOnly() throws Exception {
		ConfigurableApplicationContext context = start("graceful.shutdown.delay=0s",
				StreamHandOffRuns.PARTICIPANTS_TIMEOUT);
		StreamHandOffRuns.assertUnansweredCloseHoldsTheShutdownForTheGraceOnly(context, "/ws");
	}

	@Test
	void eventStreamsReturnedAsFluxAreHandedOffWhereSpringBootCutsThem() throws Exception {
		int streams = 50;
		StreamLoad.Outcome plain = runFlux(streams, "graceful.shutdown.enabled=false");
		StreamLoad.Outcome handedOff = runFlux(streams, "graceful.shutdown.delay=0s");
		System.out.println(this.server + ", Flux, plain Spring Boot: " + plain.summary());
		System.out.println(this.server + ", Flux, with the starter:  " + handedOff.summary());

		// Plain Spring Boot holds them to its phase timeout (5 s) and ends none with a last event.
		assertThat(plain.lastEndMs()).isGreaterThanOrEqualTo(5000);
		assertThat(plain.sseLastEvent()).isZero();
		assertThat(handedOff.sseClean()).isEqualTo(2 * streams);
		assertThat(handedOff.sseLastEvent()).isEqualTo(2 * streams);
		assertThat(handedOff.lastEndMs()).isLessThan(5000);
		assertThat(handedOff.report().phase(StreamHandOff.SSE).counts())
			.isEqualTo(new Counts(2 * streams, 2 * streams, 0, 0, 2 * streams));
	}

	@Test
	void withoutOpenStreamsTheHandOffTakesNoPartInTheShutdown() throws Exception {
		StreamLoad.Outcome outcome;
		this.context = start("graceful.shutdown.delay=0s");
		try (StreamLoad load = new StreamLoad()) {
			outcome = load.closeAndAwait(this.context);
			this.context = null;
		}

		assertThat(outcome.report().phases()).extracting(Phase::name)
			.doesNotContain(StreamHandOff.SSE, StreamHandOff.WEBSOCKETS, "participants");
	}

	private boolean onTomcat() {
		return "tomcat".equals(this.server);
	}

	private ConfigurableApplicationContext start(String... properties) {
		ConfigurableApplicationContext context = StreamHandOffRuns.start(TestApplication.class,
				WebApplicationType.SERVLET, "tomcat".equals(this.server) ? new String[0] : ON_JETTY, properties);
		assertThat(((WebServerApplicationContext) context).getWebServer().getClass().getSimpleName())
			.startsWithIgnoringCase(this.server);
		return context;
	}

	/**
	 * Half of the streams from a {@code Flux<ServerSentEvent<String>>}, half from a
	 * {@code ResponseEntity<Flux<String>>} produced as {@code text/event-stream}.
	 */
	private StreamLoad.Outcome runFlux(int streams, String... properties) throws Exception {
		this.context = start(properties);
		int port = ((WebServerApplicationContext) this.context).getWebServer().getPort();
		try (StreamLoad load = new StreamLoad()) {
			load.open(port, streams, "/flux", 0, "/ws");
			load.open(port, streams, "/strings", 0, "/ws");
			StreamLoad.Outcome outcome = load.closeAndAwait(this.context);
			this.context = null;
			return outcome;
		}
	}

	private StreamLoad.Outcome run(String... properties) throws Exception {
		this.context = start(properties);
		this.meters = this.context.getBean(MeterRegistry.class);
		StreamLoad.Outcome outcome = StreamHandOffRuns.openAndShutDown(this.context, STREAMS);
		this.context = null;
		return outcome;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EnableWebSocket
	static class TestApplication {

		@Bean
		TickController tickController() {
			return new TickController();
		}

		@Bean
		TickHandler tickHandler() {
			return new TickHandler();
		}

		@Bean
		WebSocketConfigurer webSocketConfigurer(TickHandler tickHandler) {
			return (registry) -> registry.addHandler(tickHandler, "/ws")
				.setHandshakeHandler(StreamHandOffRuns.standardHandshake());
		}

	}

	@RestController
	static class TickController {

		@GetMapping("/sse")
		SseEmitter sse() throws IOException {
			SseEmitter emitter = new SseEmitter(0L);
			emitter.send(SseEmitter.event().id("1").data("tick 1"));
			return emitter;
		}

		@GetMapping(path = "/flux", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
		Flux<ServerSentEvent<String>> flux() {
			return Flux.just(ServerSentEvent.builder("tick 1").id("1").build()).concatWith(Flux.never());
		}

		@GetMapping(path = "/strings", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
		ResponseEntity<Flux<String>> strings() {
			return ResponseEntity.ok(Flux.just("tick 1").concatWith(Flux.never()));
		}

	}

	static class TickHandler extends TextWebSocketHandler {

		@Override
		public void afterConnectionEstablished(WebSocketSession session) throws Exception {
			session.sendMessage(new TextMessage("tick 1"));
		}

	}

}
