package dev.graceful.shutdown.streams;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.WebSocketHandler;

import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-off of SSE streams ({@code Flux<ServerSentEvent>}) and WebSockets (WebFlux) on a
 * real Reactor Netty, against plain Spring Boot in the same run.
 */
@Timeout(180)
class ReactiveStreamHandOffTests {

	private static final int STREAMS = Integer.getInteger("streams.clients", 200);

	private ConfigurableApplicationContext context;

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
		System.out.println("Reactor Netty, plain Spring Boot: " + plain.summary());
		System.out.println("Reactor Netty, with the starter:  " + handedOff.summary());

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
	}

	@Test
	void handOffIsSpreadOverTheWindow() throws Exception {
		StreamLoad.Outcome outcome = run("graceful.shutdown.delay=0s", "graceful.shutdown.web.streams.spread=2s");
		System.out.println("Reactor Netty, spread 2s: " + outcome.summary());

		assertThat(outcome.sseClean()).isEqualTo(STREAMS);
		assertThat(outcome.goingAway()).isEqualTo(STREAMS);
		// Each kind spread over 2 s: its last stream is handed off at 2 s * (n - 1) / n.
		assertThat(outcome.lastEndMs() - outcome.firstEndMs()).isGreaterThanOrEqualTo(1900);
		assertThat(outcome.report().phase(StreamHandOff.WEBSOCKETS).counts())
			.isEqualTo(new Counts(STREAMS, STREAMS, 0, 0, STREAMS));
	}

	private StreamLoad.Outcome run(String... properties) throws Exception {
		this.context = new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.REACTIVE)
			.registerShutdownHook(false)
			.properties("server.port=0", "spring.main.banner-mode=off", "spring.main.cloud-platform=none",
					"spring.lifecycle.timeout-per-shutdown-phase=5s")
			.properties(properties)
			.run();
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
	static class TestApplication {

		@Bean
		TickController tickController() {
			return new TickController();
		}

		@Bean
		HandlerMapping webSocketMapping() {
			WebSocketHandler ticks = (session) -> session.send(Mono.just(session.textMessage("tick 1")))
				.thenMany(session.receive())
				.then();
			return new SimpleUrlHandlerMapping(Map.of("/ws", ticks), -1);
		}

	}

	@RestController
	static class TickController {

		@GetMapping(path = "/sse", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
		Flux<ServerSentEvent<String>> sse() {
			return Flux.just(ServerSentEvent.builder("tick 1").id("1").build()).concatWith(Flux.never());
		}

	}

}
