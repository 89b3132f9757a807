package dev.graceful.shutdown.web.reactive;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebHandler;
import org.springframework.web.server.handler.FilteringWebHandler;
import org.springframework.web.server.handler.WebHandlerDecorator;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.testsupport.RawHttp;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real WebFlux application on a real server in this JVM, closed by the tests while real
 * HTTP clients talk to it: its {@link WorkController} answers {@code /work} and holds
 * {@code /held} until the test opens the {@link RequestGate}.
 */
abstract class ReactiveApplicationFixture {

	static final Duration TIMEOUT = Duration.ofSeconds(30);

	final ExecutorService executor = Executors.newCachedThreadPool();

	ConfigurableApplicationContext context;

	RawHttp http;

	RequestGate gate;

	/** The shutdown progress, {@code null} when the starter is disabled. */
	ShutdownRecorder progress;

	@AfterEach
	void closeContext() throws InterruptedException {
		if (this.context != null) {
			this.gate.open();
			this.context.close();
		}
		this.executor.shutdownNow();
		this.executor.awaitTermination(10, TimeUnit.SECONDS);
	}

	/**
	 * Start an application on 127.0.0.1 and a free port, with the health probes exposed.
	 * @param application its configuration, which defines a {@link RequestGate} and
	 * imports the {@link WorkController}
	 * @param args further command-line arguments
	 * @return its web server
	 */
	WebServer run(Class<?> application, String... args) {
		List<String> all = new ArrayList<>(List.of("--server.port=0", "--server.address=127.0.0.1",
				"--server.shutdown=graceful", "--management.endpoints.web.exposure.include=health",
				"--management.endpoint.health.probes.enabled=true", "--spring.main.banner-mode=off"));
		all.addAll(List.of(args));
		this.context = new SpringApplicationBuilder(application).web(WebApplicationType.REACTIVE)
			.registerShutdownHook(false)
			.run(all.toArray(String[]::new));
		WebServer webServer = ((WebServerApplicationContext) this.context).getWebServer();
		this.http = new RawHttp(webServer.getPort()).awaitingServerClose(Duration.ofSeconds(5));
		this.gate = this.context.getBean(RequestGate.class);
		this.progress = this.context.getBeanProvider(ShutdownRecorder.class).getIfAvailable();
		return webServer;
	}

	CompletableFuture<RawHttp.Response> send(String path) {
		return CompletableFuture.supplyAsync(() -> {
			try {
				return this.http.get(path);
			}
			catch (Exception ex) {
				throw new IllegalStateException("GET " + path + " failed", ex);
			}
		}, this.executor);
	}

	/**
	 * Send {@code count} requests that the gate holds, and wait until they are held and
	 * counted in flight.
	 * @param count how many
	 * @return the responses to come
	 */
	List<CompletableFuture<RawHttp.Response>> sendHeld(int count) {
		List<CompletableFuture<RawHttp.Response>> held = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			held.add(send("/held"));
		}
		awaitInFlight(count);
		return held;
	}

	CompletableFuture<Duration> closeInBackground() {
		return CompletableFuture.supplyAsync(() -> {
			long start = System.nanoTime();
			this.context.close();
			return Duration.ofNanos(System.nanoTime() - start);
		}, this.executor);
	}

	/**
	 * Wait until {@code count} requests are held by the gate and counted in flight.
	 */
	void awaitInFlight(int count) {
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		await().atMost(TIMEOUT).until(() -> this.gate.waiting() == count && tracker.inFlight() == count);
	}

	void awaitStep(String step) {
		await().atMost(TIMEOUT)
			.pollInterval(Duration.ofMillis(10))
			.until(() -> step.equals(this.progress.currentStep()));
	}

	/**
	 * Wait until the server refuses new connections (its listening socket is closed).
	 */
	void awaitRefusingConnections() {
		await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(20)).until(this.http::refusesConnections);
	}

	/**
	 * Return the filters of the application's filter chain.
	 */
	List<WebFilter> filterChain() {
		HttpHandler handler = this.context.getBean(HttpHandler.class);
		WebHandler webHandler = (WebHandler) handler;
		while (webHandler instanceof WebHandlerDecorator decorator && !(webHandler instanceof FilteringWebHandler)) {
			webHandler = decorator.getDelegate();
		}
		assertThat(webHandler).isInstanceOf(FilteringWebHandler.class);
		return ((FilteringWebHandler) webHandler).getFilters();
	}

	ShutdownReport report() {
		ShutdownReport report = this.progress.report();
		assertThat(report).isNotNull();
		return report;
	}

	@RestController
	static class WorkController {

		private final RequestGate gate;

		WorkController(RequestGate gate) {
			this.gate = gate;
		}

		@GetMapping("/work")
		Mono<String> work(@RequestParam(defaultValue = "0") long ms) {
			Mono<String> result = Mono.just("worked " + ms + " ms\n");
			return (ms > 0) ? result.delayElement(Duration.ofMillis(ms)) : result;
		}

		@PostMapping("/echo")
		Mono<String> echo(@RequestBody Mono<String> body) {
			return body.map((text) -> "echo " + text);
		}

		@GetMapping("/held")
		Mono<String> held() {
			return this.gate.pass().thenReturn("released\n");
		}

	}

	/**
	 * Holds requests until the test opens it.
	 */
	static final class RequestGate {

		private final Sinks.Empty<Void> opened = Sinks.empty();

		Mono<Void> pass() {
			return this.opened.asMono();
		}

		int waiting() {
			return this.opened.currentSubscriberCount();
		}

		void open() {
			this.opened.tryEmitEmpty();
		}

	}

}
