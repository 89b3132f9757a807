package dev.graceful.shutdown.streams;

import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
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

import dev.graceful.shutdown.ShutdownReport.Counts;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hand-off of SSE streams ({@code Flux<ServerSentEvent>}) and WebSockets (WebFlux) on a
 * real Reactor Netty, against plain Spring Boot in the same run. With the many-stream
 * suites on the primary matrix entry only: on a machine loaded by other builds, a few of
 * 200 streams once ended without the chunked terminator (see the README's limitations).
 */
@Timeout(180)
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
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

		StreamHandOffRuns.assertCutByPlainSpringBoot(plain);
		StreamHandOffRuns.assertHandedOffAfterTheDelay(handedOff, STREAMS);
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

	@Test
	void webSocketClientThatNeverAnswersTheCloseFrameHoldsTheShutdownForTheGraceOnly() throws Exception {
		ConfigurableApplicationContext context = StreamHandOffRuns.start(TestApplication.class,
				WebApplicationType.REACTIVE, "graceful.shutdown.delay=0s", StreamHandOffRuns.PARTICIPANTS_TIMEOUT);
		StreamHandOffRuns.assertUnansweredCloseHoldsTheShutdownForTheGraceOnly(context, "/ws");
	}

	private StreamLoad.Outcome run(String... properties) throws Exception {
		this.context = StreamHandOffRuns.start(TestApplication.class, WebApplicationType.REACTIVE, properties);
		StreamLoad.Outcome outcome = StreamHandOffRuns.openAndShutDown(this.context, STREAMS);
		this.context = null;
		return outcome;
	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		TickController tickController() {
			return new TickController();
		}

		@Bean
		WebFluxConfigurer reactorNettyWebSockets() {
			return StreamHandOffRuns.reactorNettyWebSockets();
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
