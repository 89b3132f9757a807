package dev.graceful.shutdown.tasks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Tasks;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.TrafficGaps;
import dev.graceful.shutdown.delay.LameDuckDelay;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code @Async} work handed off by real HTTP requests that arrive during the lame-duck
 * delay, on a real Tomcat on a random port: every request is answered and every hand-off,
 * still running when the tasks step starts, is awaited and completes.
 */
class AsyncHandOffDuringDelayTests {

	private static final int REQUESTS = 3;

	private @Nullable ConfigurableApplicationContext context;

	@AfterEach
	void closeContext() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void asyncWorkHandedOffByRequestsDuringTheDelayCompletesBeforeTheShutdownEnds() throws Exception {
		// A pause on a busy machine that leaves no request for the quiet period rightly
		// ends the delay before every request is sent, and such a run shows nothing: run
		// it again.
		int attempt = 1;
		while (!asyncWorkHandedOffByRequestsDuringTheDelayCompletesBeforeTheShutdownEnds(attempt == 3)) {
			attempt++;
		}
	}

	/**
	 * Run the scenario once; return {@code false} if a request failed after a pause
	 * longer than the quiet period and this is not the last attempt.
	 */
	private boolean asyncWorkHandedOffByRequestsDuringTheDelayCompletesBeforeTheShutdownEnds(boolean lastAttempt)
			throws Exception {
		this.context = new SpringApplicationBuilder(WebApplication.class).web(WebApplicationType.SERVLET)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			// The delay ends 5 s after the last request: time enough on a loaded machine.
			.properties("server.port=0", "graceful.shutdown.delay=15s", "graceful.shutdown.quiet-period=5s",
					"graceful.shutdown.timeout=45s", "spring.task.execution.pool.core-size=1")
			.run();
		ConfigurableApplicationContext context = this.context;
		int port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port", "-1"));
		Mailer mailer = context.getBean(Mailer.class);
		ShutdownRecorder progress = context.getBean(ShutdownRecorder.class);
		HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
		// Warm up client and server so that the requests during the delay are quick.
		assertThat(send(client, "GET", port, "/ping")).isEqualTo(200);
		AtomicReference<ShutdownReport> report = new AtomicReference<>();
		Thread closer = new Thread(() -> report.set(ShutdownReports.close(context)), "closer");
		TrafficGaps gaps = TrafficGaps.beforeShutdown();
		closer.start();
		await().atMost(Duration.ofSeconds(20)).until(() -> LameDuckDelay.STEP.equals(progress.currentStep()));
		List<Integer> statuses = new ArrayList<>();
		try {
			for (int i = 0; i < REQUESTS; i++) {
				statuses.add(gaps.send(() -> send(client, "POST", port, "/mail")));
			}
		}
		catch (IOException ex) {
			// Refused, or no answer, once the delay is over.
		}
		gaps.stop();
		closer.join(60_000);
		assertThat(closer.isAlive()).isFalse();
		if (!lastAttempt && statuses.size() < REQUESTS && gaps.longest().compareTo(Duration.ofSeconds(5)) >= 0) {
			return false;
		}
		assertThat(statuses).as("statuses with %s", gaps).containsExactly(200, 200, 200);
		assertThat(mailer.sentCount()).isEqualTo(REQUESTS);
		assertThat(report.get().tasks()).isEqualTo(new Tasks(REQUESTS, 0, 0, 0, List.of()));
		return true;
	}

	private static int send(HttpClient client, String method, int port, String path) throws Exception {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.method(method, HttpRequest.BodyPublishers.noBody())
			.timeout(Duration.ofSeconds(10))
			.build();
		return client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@EnableAsync
	static class WebApplication {

		@Bean
		Mailer mailer(ShutdownRecorder progress) {
			return new Mailer(progress);
		}

		@Bean
		MailController mailController(Mailer mailer) {
			return new MailController(mailer);
		}

	}

	@RestController
	static class MailController {

		private final Mailer mailer;

		MailController(Mailer mailer) {
			this.mailer = mailer;
		}

		@GetMapping("/ping")
		String ping() {
			return "pong";
		}

		@PostMapping("/mail")
		String mail() {
			this.mailer.send();
			return "queued";
		}

	}

	/**
	 * Sends mails that are still being sent when the tasks step starts, so that only
	 * waiting for them lets them finish.
	 */
	static class Mailer {

		private final AtomicInteger sent = new AtomicInteger();

		private final ShutdownRecorder progress;

		Mailer(ShutdownRecorder progress) {
			this.progress = progress;
		}

		// Read through a method: the bean is a class-based proxy, whose fields are not the target's.
		public int sentCount() {
			return this.sent.get();
		}

		@Async
		public void send() {
			try {
				long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
				while (!TaskDrain.STEP.equals(this.progress.currentStep()) && System.nanoTime() - giveUp < 0) {
					Thread.sleep(10);
				}
				Thread.sleep(100);
				this.sent.incrementAndGet();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

}
