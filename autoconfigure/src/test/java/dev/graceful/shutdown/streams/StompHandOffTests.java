package dev.graceful.shutdown.streams;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.messaging.simp.SimpMessagingTemplate;
import org.springframework.messaging.simp.config.MessageBrokerRegistry;
import org.springframework.web.socket.config.annotation.EnableWebSocketMessageBroker;
import org.springframework.web.socket.config.annotation.StompEndpointRegistry;
import org.springframework.web.socket.config.annotation.WebSocketMessageBrokerConfigurer;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.testsupport.WebSocketStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * STOMP over WebSocket ({@code @EnableWebSocketMessageBroker}, Spring's simple broker) on
 * a real Tomcat: {@value #CLIENTS} clients subscribed to a topic the application
 * publishes to every 50 ms, the application shut down with a 1 s delay. With the
 * starter the sessions are served through the delay (messages keep coming) and handed
 * off after it with 1001 and the starter's reason; plain Spring Boot, in the same run,
 * closes them when the shutdown starts.
 */
@Timeout(120)
class StompHandOffTests {

	private static final int CLIENTS = 20;

	private static final String REASON = "server shutting down";

	private ConfigurableApplicationContext context;

	@AfterEach
	void close() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void stompSessionsAreServedThroughTheDelayAndHandedOffWhereSpringClosesThemAtOnce() throws Exception {
		Run plain = run("graceful.shutdown.enabled=false");
		Run handedOff = run("graceful.shutdown.delay=1s");
		System.out.println("STOMP, plain Spring Boot: " + plain);
		System.out.println("STOMP, with the starter:  " + handedOff);

		// Spring stops its STOMP handler first when the context closes: every session
		// closed at once, before anything else of the shutdown (its 1001 without a reason,
		// or 1006 where the server stopped before the close handshake, as here).
		assertThat(plain.closeCodes().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(CLIENTS);
		assertThat(plain.withReason()).isZero();
		assertThat(plain.servedLate()).isZero();
		assertThat(plain.lastEndMs()).isLessThan(500);

		assertThat(handedOff.closeCodes()).isEqualTo(Map.of(1001, CLIENTS));
		assertThat(handedOff.withReason()).isEqualTo(CLIENTS);
		assertThat(handedOff.firstEndMs()).isGreaterThanOrEqualTo(1000);
		// Served through the delay: every client got messages in its second half.
		assertThat(handedOff.servedLate()).isEqualTo(CLIENTS);
		assertThat(handedOff.report().phase(StreamHandOff.WEBSOCKETS).counts())
			.isEqualTo(new Counts(CLIENTS, CLIENTS, 0, 0, CLIENTS));
	}

	private Run run(String... properties) throws Exception {
		this.context = StreamHandOffRuns.start(TestApplication.class, WebApplicationType.SERVLET, properties);
		int port = ((WebServerApplicationContext) this.context).getWebServer().getPort();
		SimpMessagingTemplate template = this.context.getBean(SimpMessagingTemplate.class);
		HttpClient client = HttpClient.newHttpClient();
		List<WebSocketStream> sessions = new ArrayList<>();
		for (int i = 0; i < CLIENTS; i++) {
			WebSocketStream session = WebSocketStream.open(client, port, "/stomp");
			session.send("CONNECT\naccept-version:1.2\nhost:127.0.0.1\n\n\0");
			assertThat(session.awaitFirstMessage(StreamLoad.TIMEOUT)).as("CONNECTED").isTrue();
			session.send("SUBSCRIBE\nid:sub-0\ndestination:/topic/ticks\n\n\0");
			sessions.add(session);
		}
		AtomicBoolean publishing = new AtomicBoolean(true);
		Thread publisher = new Thread(() -> {
			for (int n = 1; publishing.get(); n++) {
				try {
					template.convertAndSend("/topic/ticks", "tick " + n);
					Thread.sleep(50);
				}
				catch (InterruptedException ex) {
					return;
				}
				catch (RuntimeException ex) {
					// The broker has stopped.
				}
			}
		});
		publisher.start();
		long deadline = System.nanoTime() + StreamLoad.TIMEOUT.toNanos();
		for (WebSocketStream session : sessions) {
			while (session.messages().stream().noneMatch((message) -> message.startsWith("MESSAGE"))) {
				assertThat(System.nanoTime()).as("a first MESSAGE").isLessThan(deadline);
				Thread.sleep(10);
			}
		}

		long start = System.nanoTime();
		ShutdownReport report = StreamLoad.close(this.context);
		this.context = null;
		publishing.set(false);
		publisher.join();

		Map<Integer, Integer> codes = new TreeMap<>();
		int withReason = 0;
		int servedLate = 0;
		long first = Long.MAX_VALUE;
		long last = 0;
		long late = start + TimeUnit.MILLISECONDS.toNanos(500);
		for (WebSocketStream session : sessions) {
			Integer code = session.awaitClose(Duration.ofSeconds(30));
			codes.merge(Objects.requireNonNullElse(code, -1), 1, Integer::sum);
			if (REASON.equals(session.reason())) {
				withReason++;
			}
			List<String> messages = session.messages();
			List<Long> times = session.messageNanos();
			for (int i = 0; i < messages.size(); i++) {
				if (messages.get(i).startsWith("MESSAGE") && times.get(i) > late) {
					servedLate++;
					break;
				}
			}
			long endMs = TimeUnit.NANOSECONDS.toMillis(session.endNanos() - start);
			first = Math.min(first, endMs);
			last = Math.max(last, endMs);
		}
		return new Run(report, codes, withReason, servedLate, first, last);
	}

	record Run(ShutdownReport report, Map<Integer, Integer> closeCodes, int withReason, int servedLate,
			long firstEndMs, long lastEndMs) {

		@Override
		public String toString() {
			return "close codes " + this.closeCodes + ", " + this.withReason + " with the starter's reason, "
					+ this.servedLate + " got messages 500 ms or more into the shutdown; sessions ended "
					+ this.firstEndMs + ".." + this.lastEndMs + " ms after close()"
					+ ((this.report != null) ? "; report " + this.report.phases() : "");
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	@EnableWebSocketMessageBroker
	static class TestApplication implements WebSocketMessageBrokerConfigurer {

		@Override
		public void registerStompEndpoints(StompEndpointRegistry registry) {
			registry.addEndpoint("/stomp").setHandshakeHandler(StreamHandOffRuns.standardHandshake());
		}

		@Override
		public void configureMessageBroker(MessageBrokerRegistry registry) {
			registry.enableSimpleBroker("/topic");
		}

	}

}
