package dev.graceful.shutdown.streams;

import java.io.IOException;
import java.util.Map;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
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
 * Tomcat, against plain Spring Boot in the same run.
 */
@Timeout(180)
class ServletStreamHandOffTests {

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
		System.out.println("Tomcat, plain Spring Boot: " + plain.summary());
		System.out.println("Tomcat, with the starter:  " + handedOff.summary());

		// Plain Spring Boot holds the streams until its phase timeout (5 s here), then the
		// server's stop ends them without a last event or a 1001.
		assertThat(plain.firstEndMs()).isGreaterThanOrEqualTo(5000);
		assertThat(plain.sseLastEvent()).isZero();
		assertThat(plain.goingAway()).isZero();
		assertThat(plain.closeCodes()).doesNotContainKey(1001);

		assertThat(handedOff.sseClean()).isEqualTo(STREAMS);
		assertThat(handedOff.sseLastEvent()).isEqualTo(STREAMS);
		assertThat(handedOff.closeCodes()).isEqualTo(Map.of(1001, STREAMS));
		assertThat(handedOff.goingAway()).isEqualTo(STREAMS);
		// Served through the delay, handed off when it is over.
		assertThat(handedOff.firstEndMs()).isGreaterThanOrEqualTo(1000);
		Phase sse = handedOff.report().phase(StreamHandOff.SSE);
		assertThat(sse.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(sse.counts()).isEqualTo(new Counts(STREAMS, STREAMS, 0, 0, STREAMS));
		Phase webSockets = handedOff.report().phase(StreamHandOff.WEBSOCKETS);
		assertThat(webSockets.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(webSockets.counts()).isEqualTo(new Counts(STREAMS, STREAMS, 0, 0, STREAMS));
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
		System.out.println("Tomcat, spread 2s: " + outcome.summary());

		assertThat(outcome.sseClean()).isEqualTo(STREAMS);
		assertThat(outcome.goingAway()).isEqualTo(STREAMS);
		// Each kind spread over 2 s: its last stream is handed off at 2 s * (n - 1) / n.
		assertThat(outcome.lastEndMs() - outcome.firstEndMs()).isGreaterThanOrEqualTo(1900);
		assertThat(outcome.report().phase(StreamHandOff.SSE).counts())
			.isEqualTo(new Counts(STREAMS, STREAMS, 0, 0, STREAMS));
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

	private ConfigurableApplicationContext start(String... properties) {
		return new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.SERVLET)
			.registerShutdownHook(false)
			.properties("server.port=0", "spring.main.banner-mode=off", "spring.main.cloud-platform=none",
					"spring.lifecycle.timeout-per-shutdown-phase=5s")
			.properties(properties)
			.run();
	}

	private StreamLoad.Outcome run(String... properties) throws Exception {
		this.context = start(properties);
		this.meters = this.context.getBean(MeterRegistry.class);
		int port = ((WebServerApplicationContext) this.context).getWebServer().getPort();
		try (StreamLoad load = new StreamLoad()) {
			load.open(port, STREAMS, "/sse", STREAMS, "/ws");
			StreamLoad.Outcome outcome = load.closeAndAwait(this.context);
			this.context = null;
			return outcome;
		}
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
			return (registry) -> registry.addHandler(tickHandler, "/ws");
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

	}

	static class TickHandler extends TextWebSocketHandler {

		@Override
		public void afterConnectionEstablished(WebSocketSession session) throws Exception {
			session.sendMessage(new TextMessage("tick 1"));
		}

	}

}
