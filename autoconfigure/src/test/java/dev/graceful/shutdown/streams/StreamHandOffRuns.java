package dev.graceful.shutdown.streams;

import java.util.Map;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the servlet and the reactive hand-off tests share: starting a test application on
 * a random port, shutting it down under open streams, and what plain Spring Boot and the
 * starter each do with those streams.
 */
final class StreamHandOffRuns {

	private StreamHandOffRuns() {
	}

	static ConfigurableApplicationContext start(Class<?> application, WebApplicationType type,
			String... properties) {
		return new SpringApplicationBuilder(application).web(type)
			.registerShutdownHook(false)
			.properties("server.port=0", "spring.main.banner-mode=off", "spring.main.cloud-platform=none",
					"spring.lifecycle.timeout-per-shutdown-phase=5s")
			.properties(properties)
			.run();
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

	static void assertCutByPlainSpringBoot(StreamLoad.Outcome plain) {
		// Plain Spring Boot holds the streams until its phase timeout (5 s here), then the
		// server's stop ends them without a last event or a 1001.
		assertThat(plain.firstEndMs()).isGreaterThanOrEqualTo(5000);
		assertThat(plain.sseLastEvent()).isZero();
		assertThat(plain.goingAway()).isZero();
		assertThat(plain.closeCodes()).doesNotContainKey(1001);
	}

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
