package dev.graceful.shutdown.web.reactive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.Test;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.reactor.netty.NettyWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.test.util.ReflectionTestUtils;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.TrafficGaps;
import dev.graceful.shutdown.autoconfigure.WatchdogInstaller;
import dev.graceful.shutdown.delay.LameDuckDelay;
import dev.graceful.shutdown.tasks.StopAction;
import dev.graceful.shutdown.testsupport.RawHttp;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownTimeline;
import dev.graceful.shutdown.web.DrainMonitor;
import dev.graceful.shutdown.web.RequestTracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shutdown timeline on a real Reactor Netty server in this JVM, observed by a real
 * HTTP client. Requests that must be in flight at a given moment wait on a
 * {@link RequestGate} that the test opens once that moment has been observed, so the
 * outcomes do not depend on timing.
 */
class ReactiveGracefulShutdownTests extends ReactiveApplicationFixture {

	@Test
	void requestInFlightAtShutdownCompletesWithConnectionClose() throws Exception {
		start("--graceful.shutdown.delay=0");
		// Counted, and the header added, by the channel handler, not by a filter.
		assertThat(this.context.getBean(NettyRequestTracking.class).isApplied()).isTrue();
		assertThat(filterChain()).noneMatch(InFlightWebFilter.class::isInstance);
		RawHttp.Response beforeShutdown = this.http.get("/work?ms=0");
		assertThat(beforeShutdown.status()).isEqualTo(200);
		assertThat(beforeShutdown.header("Connection")).isNull();
		CompletableFuture<RawHttp.Response> held = send("/held");
		awaitInFlight(1);
		CompletableFuture<Duration> closing = closeInBackground();
		awaitStep(DrainMonitor.STEP);
		assertThat(held).isNotDone();
		this.gate.open();
		RawHttp.Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.body()).isEqualTo("released\n");
		assertThat(response.header("Connection")).isEqualTo("close");
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		ShutdownReport report = report();
		assertThat(report.requests()).isEqualTo(new Requests(1, 1, 0));
		assertThat(report.phase(DrainMonitor.STEP).outcome()).isEqualTo(Outcome.COMPLETED);
	}

	@Test
	void keepAliveConnectionGetsTheChannelHandlerOnlyOnceTheShutdownStartsAndIsThenClosed() throws Exception {
		start("--graceful.shutdown.delay=5s");
		ChannelRecorder channels = this.context.getBean(ChannelRecorder.class);
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		try (RawHttp.Connection connection = this.http.open()) {
			for (int i = 0; i < 3; i++) {
				RawHttp.Response response = connection.get("/work?ms=0");
				assertThat(response.status()).isEqualTo(200);
				assertThat(response.header("Connection")).isNull();
				// Nothing on the request path before the shutdown.
				assertThat(channels.handlersBetweenRequests()).isEmpty();
			}
			assertThat(tracker.inFlight()).isZero();
			CompletableFuture<Duration> closing = closeInBackground();
			awaitStep(LameDuckDelay.STEP);
			// Taken over when the shutdown started, before its next request.
			assertThat(channels.handlersBetweenRequests()).containsExactly(NettyRequestTracking.HANDLER_NAME);
			RawHttp.Response response = connection.get("/work?ms=0");
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.header("Connection")).isEqualTo("close");
			assertThat(response.closedByServer()).isTrue();
			closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}
		assertThat(channels.count()).isEqualTo(1);
		// The request during the delay; the three before the shutdown were not counted.
		assertThat(tracker.finishedCount()).isEqualTo(1);
		assertThat(tracker.inFlight()).isZero();
		assertThat(report().requests()).isEqualTo(new Requests(0, 0, 0));
	}

	@Test
	void requestsArrivingAsTheShutdownStartsAreEachCountedInAndOutOnce() throws Exception {
		start("--graceful.shutdown.delay=1s");
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		int clients = 8;
		AtomicInteger responses = new AtomicInteger();
		AtomicInteger closing = new AtomicInteger();
		CountDownLatch busy = new CountDownLatch(clients * 20);
		List<CompletableFuture<Void>> loops = new ArrayList<>();
		for (int i = 0; i < clients; i++) {
			loops.add(CompletableFuture.runAsync(() -> {
				// Keep-alive connections, reopened when the server closes one, until the
				// server refuses them (the drain has started).
				while (true) {
					try (RawHttp.Connection connection = this.http.open()) {
						while (true) {
							RawHttp.Response response = connection.get("/work?ms=2");
							assertThat(response.status()).isEqualTo(200);
							responses.incrementAndGet();
							busy.countDown();
							if ("close".equals(response.header("Connection"))) {
								closing.incrementAndGet();
								break;
							}
						}
					}
					catch (IOException ex) {
						return;
					}
				}
			}, this.executor));
		}
		assertThat(busy.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
		closeInBackground().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		// Every request counted in since the shutdown started (by the take-over or the
		// handler) was counted out exactly once, and none was left uncounted.
		assertThat(tracker.inFlight()).isZero();
		assertThat(closing.get()).isPositive();
		assertThat(tracker.finishedCount()).isPositive().isLessThan(responses.get());
		// Completed: those in flight at the start and those that arrived during the drain on
		// connections accepted just before the server's channel closed.
		Requests requests = report().requests();
		assertThat(requests.aborted()).isZero();
		assertThat(requests.completed()).isGreaterThanOrEqualTo(requests.inFlightAtStart());
		assertThat(report().phase(DrainMonitor.STEP).outcome()).isEqualTo(Outcome.COMPLETED);
	}

	@Test
	void connectionsAcceptedAsTheDrainStartsAreAnsweredOrClosedByIt() throws Exception {
		assertThat(connectionsLeftWaitingByTheDrain("--graceful.shutdown.delay=0")).isZero();
	}

	@Test
	void whenDisabledConnectionsAcceptedAsTheDrainStartsAreLeftWaitingByIt() throws Exception {
		// The control: Reactor Netty's drain alone does not know about them.
		assertThat(connectionsLeftWaitingByTheDrain("--graceful.shutdown.enabled=false",
				"--spring.reactor.netty.shutdown-quiet-period=0s"))
			.isPositive();
	}

	/**
	 * Accept connections whose registration on their event loop is still queued when the
	 * drain starts (the race a busy server runs into when Reactor Netty's drain asks for the
	 * listening channel's close), and return how many of their clients still had neither a
	 * response nor a closed connection once the drain had ended.
	 */
	private int connectionsLeftWaitingByTheDrain(String... args) throws Exception {
		start(args);
		Channel first;
		try (RawHttp.Connection connection = this.http.open()) {
			assertThat(connection.get("/work?ms=0").status()).isEqualTo(200);
			first = this.context.getBean(ChannelRecorder.class).only();
		}
		assertThat(first.closeFuture().await(TIMEOUT.toMillis())).isTrue();
		EventLoop acceptingLoop = first.parent().eventLoop();
		CountDownLatch release = new CountDownLatch(1);
		int blocked = 0;
		try {
			for (EventExecutor loop : first.eventLoop().parent()) {
				if (loop != acceptingLoop) {
					loop.execute(() -> awaitQuietly(release));
					blocked++;
				}
			}
			assertThat(blocked).isPositive();
			int clients = 8;
			RawHttp client = new RawHttp(port()).withReadTimeout(TIMEOUT);
			List<CompletableFuture<String>> outcomes = new ArrayList<>();
			for (int i = 0; i < clients; i++) {
				outcomes.add(CompletableFuture.supplyAsync(() -> {
					try {
						return "status " + client.get("/work?ms=0").status();
					}
					catch (IOException ex) {
						return "closed";
					}
				}, this.executor));
			}
			// Accepted by the loop that is free, registered on the blocked ones.
			Thread.sleep(500);
			PhaseMark beforeDrain = this.context.getBean("beforeDrain", PhaseMark.class);
			PhaseMark afterDrain = this.context.getBean("afterDrain", PhaseMark.class);
			beforeDrain.onStop(() -> CompletableFuture.runAsync(release::countDown,
					CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS)));
			closeInBackground();
			await().atMost(TIMEOUT).until(afterDrain::isStopped);
			// A moment for the answers and closes the drain sent to reach the clients.
			Thread.sleep(200);
			int waiting = (int) outcomes.stream().filter((outcome) -> !outcome.isDone()).count();
			release.countDown();
			return waiting;
		}
		finally {
			release.countDown();
		}
	}

	private static void awaitQuietly(CountDownLatch latch) {
		try {
			latch.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	@Test
	void requestsThatEndWhileTheDrainIsPreparedCountAsInFlightAtItsStartAndCompleted() throws Exception {
		start("--graceful.shutdown.delay=0");
		List<CompletableFuture<RawHttp.Response>> held = sendHeld(3);
		// The drain's step has started and the server is being prepared for Spring Boot's
		// drain (its listening channels stop accepting): the requests end meanwhile.
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		this.context.getBean(DrainMonitor.class).beforeDrain(() -> {
			this.gate.open();
			held.forEach(CompletableFuture::join);
			await().atMost(TIMEOUT).until(() -> tracker.inFlight() == 0);
		});
		closeInBackground().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		for (CompletableFuture<RawHttp.Response> request : held) {
			assertThat(request.get().status()).isEqualTo(200);
		}
		assertThat(report().requests()).isEqualTo(new Requests(3, 3, 0));
		assertThat(report().phase(DrainMonitor.STEP).detail())
			.isEqualTo("3 in flight at start, 3 completed, 0 aborted");
	}

	@Test
	void reportCountsEveryRequestInFlightAtDrainStartAsCompleted() throws Exception {
		start("--graceful.shutdown.delay=0");
		List<CompletableFuture<RawHttp.Response>> held = sendHeld(3);
		CompletableFuture<Duration> closing = closeInBackground();
		awaitStep(DrainMonitor.STEP);
		this.gate.open();
		for (CompletableFuture<RawHttp.Response> request : held) {
			RawHttp.Response response = request.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.header("Connection")).isEqualTo("close");
		}
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		ShutdownReport report = report();
		assertThat(report.complete()).isTrue();
		assertThat(report.requests()).isEqualTo(new Requests(3, 3, 0));
		assertThat(report.phases()).extracting(Phase::name)
			.startsWith("readiness", LameDuckDelay.STEP, DrainMonitor.STEP);
		assertThat(report.phase(DrainMonitor.STEP).outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(report.phase(DrainMonitor.STEP).detail()).isEqualTo("3 in flight at start, 3 completed, 0 aborted");
	}

	@Test
	void duringTheDelayNewRequestsAreServedWithConnectionCloseWhileReadinessIsDown() throws Exception {
		start("--graceful.shutdown.delay=5s");
		// Warm up both probes so that the requests during the delay are quick.
		assertThat(this.http.get("/actuator/health/readiness").status()).isEqualTo(200);
		assertThat(this.http.get("/actuator/health/liveness").status()).isEqualTo(200);
		CompletableFuture<Duration> closing = closeInBackground();
		awaitStep(LameDuckDelay.STEP);
		RawHttp.Response work = this.http.get("/work?ms=0");
		RawHttp.Response readiness = this.http.get("/actuator/health/readiness");
		RawHttp.Response liveness = this.http.get("/actuator/health/liveness");
		// All of the above happened during the delay, not after it.
		assertThat(this.progress.currentStep()).isEqualTo(LameDuckDelay.STEP);
		assertThat(work.status()).isEqualTo(200);
		assertThat(work.body()).isEqualTo("worked 0 ms\n");
		assertThat(work.header("Connection")).isEqualTo("close");
		assertThat(work.closedByServer()).isTrue();
		assertThat(readiness.status()).isEqualTo(503);
		assertThat(readiness.header("Connection")).isEqualTo("close");
		assertThat(liveness.status()).isEqualTo(200);
		assertThat(liveness.header("Connection")).isEqualTo("close");
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		Phase delay = report().phase(LameDuckDelay.STEP);
		assertThat(delay.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(delay.durationMs()).isGreaterThanOrEqualTo(5000);
	}

	@Test
	void afterTheDrainStartsNewConnectionsAreRefused() throws Exception {
		start("--graceful.shutdown.delay=0");
		CompletableFuture<RawHttp.Response> held = send("/held");
		awaitInFlight(1);
		CompletableFuture<Duration> closing = closeInBackground();
		awaitStep(DrainMonitor.STEP);
		// Spring Boot's drain closes the server channel right after the drain step starts.
		awaitRefusingConnections();
		// The drain is still waiting for the held request.
		assertThat(this.progress.currentStep()).isEqualTo(DrainMonitor.STEP);
		assertThat(held).isNotDone();
		this.gate.open();
		RawHttp.Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.header("Connection")).isEqualTo("close");
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(report().requests()).isEqualTo(new Requests(1, 1, 0));
	}

	@Test
	void withConnectionCloseOffResponsesDuringTheShutdownKeepTheirConnection() throws Exception {
		start("--graceful.shutdown.delay=0", "--graceful.shutdown.web.connection-close=false");
		// Still counted on the channel.
		assertThat(this.context.getBean(NettyRequestTracking.class).isApplied()).isTrue();
		assertThat(filterChain()).noneMatch(InFlightWebFilter.class::isInstance);
		CompletableFuture<RawHttp.Response> held = send("/held");
		awaitInFlight(1);
		CompletableFuture<Duration> closing = closeInBackground();
		awaitStep(DrainMonitor.STEP);
		this.gate.open();
		RawHttp.Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.header("Connection")).isNull();
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(report().requests()).isEqualTo(new Requests(1, 1, 0));
	}

	@Test
	void requestsWhoseClientGoesAwayAreCountedOutWhenTheirConnectionCloses() throws Exception {
		start("--graceful.shutdown.delay=8s", "--graceful.shutdown.timeout=60s");
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		try (Socket before = new Socket("127.0.0.1", port())) {
			// Before the shutdown: bound to its channel by Reactor Netty, not counted.
			sendHeld(before);
			awaitInFlight(1);
			assertThat(tracker.finishedCount()).isZero();
			CompletableFuture<Duration> closing = closeInBackground();
			awaitStep(LameDuckDelay.STEP);
			try (Socket during = new Socket("127.0.0.1", port())) {
				// During the delay: counted by the handler.
				sendHeld(during);
				awaitInFlight(2);
				before.close();
				// The first, counted when its connection was taken over, is counted out when
				// Reactor Netty terminates it.
				await().atMost(TIMEOUT).until(() -> tracker.inFlight() == 1);
				assertThat(tracker.finishedCount()).isEqualTo(1);
			}
			await().atMost(TIMEOUT).until(() -> tracker.inFlight() == 0);
			assertThat(tracker.finishedCount()).isEqualTo(2);
			this.gate.open();
			closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}
		// Nothing left for the drain.
		assertThat(report().requests()).isEqualTo(new Requests(0, 0, 0));
	}

	private static void sendHeld(Socket socket) throws IOException {
		socket.getOutputStream()
			.write("GET /held HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
		socket.getOutputStream().flush();
	}

	@Test
	void requestsOnASeparateManagementPortAreCountedOnce() throws Exception {
		// Tomcat and Jetty are on the test class path too; an application has one server.
		start("--management.server.port=0", "--management.server.address=127.0.0.1",
				"--spring.autoconfigure.exclude=org.springframework.boot.tomcat.autoconfigure.actuate.web.server."
						+ "TomcatReactiveManagementContextAutoConfiguration,"
						+ "org.springframework.boot.jetty.autoconfigure.reactive."
						+ "JettyReactiveWebServerAutoConfiguration,"
						+ "org.springframework.boot.jetty.autoconfigure.actuate.web.server."
						+ "JettyReactiveManagementContextAutoConfiguration");
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		RawHttp management = new RawHttp(
				this.context.getEnvironment().getRequiredProperty("local.management.port", Integer.class));
		for (int i = 0; i < 2; i++) {
			assertThat(this.http.get("/work?ms=0").status()).isEqualTo(200);
			assertThat(management.get("/actuator/health/liveness").status()).isEqualTo(200);
		}
		// The management server's own filter chain (built without Spring Boot's customizers)
		// has the filter; Spring Boot does not apply the application's Netty customizers to
		// that server, so the filter counts its requests (out as its chain ends, which may be
		// just after the client has the response). The application's chain has no filter, and
		// its server counts requests only once the shutdown has started.
		await().atMost(TIMEOUT).until(() -> tracker.inFlight() == 0 && tracker.finishedCount() >= 2);
		assertThat(tracker.finishedCount()).isEqualTo(2);
	}

	@Test
	void interimContinueResponseDoesNotCountTheRequestOut() throws Exception {
		start("--graceful.shutdown.delay=3s");
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		CompletableFuture<Duration> closing = closeInBackground();
		awaitStep(LameDuckDelay.STEP);
		try (Socket socket = new Socket("127.0.0.1", port())) {
			socket.setSoTimeout((int) TIMEOUT.toMillis());
			OutputStream out = socket.getOutputStream();
			InputStream in = socket.getInputStream();
			out.write(("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
					+ "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
			out.flush();
			// Sent when the application starts reading the body.
			assertThat(readHead(in)).startsWith("HTTP/1.1 100 Continue\r\n");
			assertThat(tracker.inFlight()).isEqualTo(1);
			out.write("hello".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			String head = readHead(in);
			assertThat(head).startsWith("HTTP/1.1 200 OK\r\n");
			assertThat(head.toLowerCase(Locale.ROOT)).contains("content-length: 10\r\n")
				.contains("connection: close\r\n");
			assertThat(new String(in.readNBytes(10), StandardCharsets.US_ASCII)).isEqualTo("echo hello");
		}
		await().atMost(TIMEOUT).until(() -> tracker.inFlight() == 0);
		assertThat(tracker.finishedCount()).isEqualTo(1);
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
	}

	/**
	 * Read a response's status line and headers.
	 */
	private static String readHead(InputStream in) throws IOException {
		StringBuilder head = new StringBuilder();
		while (!head.toString().endsWith("\r\n\r\n")) {
			int b = in.read();
			assertThat(b).as("end of stream after %s", head).isNotNegative();
			head.append((char) b);
		}
		return head.toString();
	}

	@Test
	void http2RequestsAreCountedPerStream() throws Exception {
		start("--server.http2.enabled=true");
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		reactor.netty.http.client.HttpClient client = reactor.netty.http.client.HttpClient.create()
			.protocol(HttpProtocol.H2C)
			.baseUrl("http://127.0.0.1:" + port())
			.responseTimeout(TIMEOUT);
		assertThat(h2Get(client, "/work?ms=0").get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
			.isEqualTo("HTTP/2.0 200 connection=null worked 0 ms\n");
		assertThat(tracker.finishedCount()).isEqualTo(1);
		List<CompletableFuture<String>> held = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			held.add(h2Get(client, "/held"));
		}
		awaitInFlight(3);
		assertThat(tracker.finishedCount()).isEqualTo(1);
		this.gate.open();
		for (CompletableFuture<String> request : held) {
			assertThat(request.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
				.isEqualTo("HTTP/2.0 200 connection=null released\n");
		}
		await().atMost(TIMEOUT).until(() -> tracker.inFlight() == 0);
		assertThat(tracker.finishedCount()).isEqualTo(4);
	}

	@Test
	void http2RequestsInFlightAtShutdownCompleteDuringTheDrain() throws Exception {
		start("--graceful.shutdown.delay=0", "--server.http2.enabled=true");
		// curl: it keeps the streams below GOAWAY's last stream id open, as RFC 9113 asks.
		// Java's client before Java 24 (JDK-8335181) and Reactor Netty's fail them instead.
		List<String> command = new ArrayList<>(List.of("curl", "--silent", "--http2-prior-knowledge", "--parallel",
				"--parallel-immediate", "--max-time", String.valueOf(TIMEOUT.toSeconds()), "--write-out",
				"%{http_version} %{http_code} %{size_download}\\n"));
		for (int i = 0; i < 3; i++) {
			command.addAll(List.of("--output", "/dev/null", "http://127.0.0.1:" + port() + "/held"));
		}
		Process curl;
		try {
			// In parallel mode curl 7.88 shows a progress meter on stderr despite --silent.
			curl = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
		}
		catch (IOException ex) {
			throw new IllegalStateException("This test needs curl with HTTP/2 (apt-get install curl)", ex);
		}
		try {
			awaitInFlight(3);
			CompletableFuture<Duration> closing = closeInBackground();
			awaitStep(DrainMonitor.STEP);
			assertThat(curl.isAlive()).isTrue();
			this.gate.open();
			assertThat(curl.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
			String output = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			assertThat(output.lines()).containsExactly("2 200 9", "2 200 9", "2 200 9");
			closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}
		finally {
			curl.destroyForcibly();
		}
		assertThat(report().requests()).isEqualTo(new Requests(3, 3, 0));
		assertThat(report().phase(DrainMonitor.STEP).outcome()).isEqualTo(Outcome.COMPLETED);
	}

	private static CompletableFuture<String> h2Get(reactor.netty.http.client.HttpClient client, String path) {
		return client.get()
			.uri(path)
			.responseSingle((response, body) -> body.asString()
				.map((text) -> response.version() + " " + response.status().code() + " connection="
						+ response.responseHeaders().get("connection") + " " + text))
			.toFuture();
	}

	@Test
	void healthChecksUnderTheWebFluxBasePathDoNotHoldTheQuietPeriodOff() throws Exception {
		start("--spring.webflux.base-path=/api", "--graceful.shutdown.delay=20s",
				"--graceful.shutdown.quiet-period=1s", "--graceful.shutdown.timeout=60s");
		assertThat(this.http.get("/api/actuator/health/readiness").status()).isEqualTo(200);
		CompletableFuture<Duration> closing = closeInBackground();
		awaitStep(LameDuckDelay.STEP);
		// What a kubelet or a balancer keeps doing during the delay: not traffic.
		int probes = sendEvery100msDuringTheDelay("/api/actuator/health/readiness", 503);
		assertThat(probes).isGreaterThan(5);
		assertThat(closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isLessThan(Duration.ofSeconds(20));
		Phase delay = report().phase(LameDuckDelay.STEP);
		assertThat(delay.outcome()).isEqualTo(Outcome.ENDED_EARLY);
		assertThat(delay.detail()).isEqualTo("no new request for 1000 ms");
	}

	@Test
	void requestsUnderTheWebFluxBasePathHoldTheQuietPeriodOff() throws Exception {
		// A pause on a busy machine that leaves no request for the quiet period rightly
		// ends the delay early, and such a run shows nothing: run it again.
		int attempt = 1;
		while (!requestsUnderTheWebFluxBasePathHoldTheQuietPeriodOff(attempt == 3)) {
			attempt++;
		}
	}

	/**
	 * Run the scenario once; return {@code false} if the delay ended early after a pause
	 * longer than the quiet period and this is not the last attempt.
	 */
	private boolean requestsUnderTheWebFluxBasePathHoldTheQuietPeriodOff(boolean lastAttempt) throws Exception {
		start("--spring.webflux.base-path=/api", "--graceful.shutdown.delay=3s", "--graceful.shutdown.quiet-period=1s");
		TrafficGaps gaps = TrafficGaps.beforeShutdown();
		CompletableFuture<Duration> closing = closeInBackground();
		awaitStep(LameDuckDelay.STEP);
		int requests = sendEvery100msDuringTheDelay("/api/work?ms=0", 200, gaps);
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		Phase delay = report().phase(LameDuckDelay.STEP);
		if (!lastAttempt && delay.outcome() == Outcome.ENDED_EARLY
				&& gaps.longest().compareTo(Duration.ofSeconds(1)) >= 0) {
			return false;
		}
		assertThat(delay.outcome()).as("delay outcome with %s", gaps).isEqualTo(Outcome.COMPLETED);
		assertThat(delay.durationMs()).isGreaterThanOrEqualTo(3000);
		assertThat(requests).isGreaterThan(10);
		return true;
	}

	/**
	 * Send a request every 100 ms for as long as the delay lasts, each of which must get
	 * the given status, and return how many were sent during the delay.
	 */
	private int sendEvery100msDuringTheDelay(String path, int status) throws Exception {
		return sendEvery100msDuringTheDelay(path, status, TrafficGaps.beforeShutdown());
	}

	/**
	 * Send a request every 100 ms for as long as the delay lasts, each of which must get
	 * the given status, recording when each was sent, and return how many were sent
	 * during the delay.
	 */
	private int sendEvery100msDuringTheDelay(String path, int status, TrafficGaps gaps) throws Exception {
		int sent = 0;
		while (LameDuckDelay.STEP.equals(this.progress.currentStep())) {
			RawHttp.Response response;
			try {
				response = gaps.send(() -> this.http.get(path));
			}
			catch (IOException ex) {
				// Refused once the delay is over and the drain has closed the server's channel.
				assertThat(this.progress.currentStep()).isNotEqualTo(LameDuckDelay.STEP);
				break;
			}
			assertThat(response.status()).isEqualTo(status);
			sent++;
			Thread.sleep(100);
		}
		gaps.stop();
		return sent;
	}

	@Test
	void quietPeriodEndsTheDelayEarly() throws Exception {
		start("--graceful.shutdown.delay=20s", "--graceful.shutdown.quiet-period=1s",
				"--graceful.shutdown.timeout=60s");
		Duration closed = closeInBackground().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		Phase delay = report().phase(LameDuckDelay.STEP);
		assertThat(delay.outcome()).isEqualTo(Outcome.ENDED_EARLY);
		assertThat(delay.detail()).isEqualTo("no new request for 1000 ms");
		assertThat(closed).isLessThan(Duration.ofSeconds(20));
	}

	@Test
	void eventLoopsStopWithoutReactorNettysQuietPeriodOnceTheDrainIsDone() {
		start();
		assertThat(this.context.getEnvironment().getPropertySources()
			.contains(WatchdogInstaller.DEFAULTS_PROPERTY_SOURCE_NAME)).isTrue();
		assertThat(quietPeriod()).isEqualTo(Duration.ZERO);
	}

	@Test
	void quietPeriodSetByTheApplicationWins() {
		start("--spring.reactor.netty.shutdown-quiet-period=1500ms");
		assertThat(quietPeriod()).isEqualTo(Duration.ofMillis(1500));
	}

	@Test
	void whenDisabledReactorNettyKeepsItsOwnQuietPeriod() {
		start("--graceful.shutdown.enabled=false");
		assertThat(this.context.getEnvironment().getPropertySources()
			.contains(WatchdogInstaller.DEFAULTS_PROPERTY_SOURCE_NAME)).isFalse();
		assertThat(quietPeriod()).isEqualTo(Duration.ofSeconds(2));
		// No request ran: nothing to wait for but the quiet period itself.
		this.gate.open();
		assertThat(closeInBackground()).succeedsWithin(TIMEOUT)
			.satisfies((closed) -> assertThat(closed).isGreaterThanOrEqualTo(Duration.ofSeconds(2)));
		this.context = null;
	}

	private Duration quietPeriod() {
		// The factory that Spring Boot configures from spring.reactor.netty.*; it has no getter.
		return (Duration) ReflectionTestUtils.getField(this.context.getBean(ReactorResourceFactory.class),
				"shutdownQuietPeriod");
	}

	@Test
	void whenDisabledResponsesKeepTheirConnectionAndThereIsNoDelay() throws Exception {
		start("--graceful.shutdown.enabled=false", "--graceful.shutdown.delay=10s",
				"--spring.reactor.netty.shutdown-quiet-period=0s");
		assertThat(this.context.getBeanProvider(ShutdownRecorder.class).getIfAvailable()).isNull();
		assertThat(this.context.getBeanProvider(InFlightWebFilter.class).getIfAvailable()).isNull();
		CompletableFuture<RawHttp.Response> held = send("/held");
		await().atMost(TIMEOUT).until(() -> this.gate.waiting() == 1);
		CompletableFuture<Duration> closing = closeInBackground();
		ApplicationAvailability availability = this.context.getBean(ApplicationAvailability.class);
		await().atMost(TIMEOUT)
			.until(() -> availability.getReadinessState() == ReadinessState.REFUSING_TRAFFIC);
		this.gate.open();
		RawHttp.Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.header("Connection")).isNull();
		assertThat(closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isLessThan(Duration.ofSeconds(8));
	}

	private void start(String... args) {
		assertThat(run(ReactiveApplication.class, args)).isInstanceOf(NettyWebServer.class);
	}

	private int port() {
		return ((WebServerApplicationContext) this.context).getWebServer().getPort();
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@Import(WorkController.class)
	static class ReactiveApplication {

		@Bean
		RequestGate requestGate() {
			return new RequestGate();
		}

		@Bean
		ChannelRecorder channelRecorder() {
			return new ChannelRecorder();
		}

		@Bean
		PhaseMark beforeDrain() {
			return new PhaseMark(ShutdownTimeline.DRAIN_START.phase() + 1);
		}

		@Bean
		PhaseMark afterDrain() {
			return new PhaseMark(ShutdownTimeline.DRAIN_END.phase());
		}

	}

	/**
	 * Marks when the application's stop reached a lifecycle phase.
	 */
	static final class PhaseMark extends StopAction {

		private volatile boolean stopped;

		private volatile Runnable onStop = () -> {
		};

		PhaseMark(int phase) {
			super(phase);
		}

		void onStop(Runnable action) {
			this.onStop = action;
		}

		boolean isStopped() {
			return this.stopped;
		}

		@Override
		protected void onStop() {
			this.stopped = true;
			this.onStop.run();
		}

	}

	/**
	 * Records the channels of the server's connections, to look at their pipelines.
	 */
	static final class ChannelRecorder implements NettyServerCustomizer {

		private final Set<Channel> channels = ConcurrentHashMap.newKeySet();

		@Override
		public HttpServer apply(HttpServer server) {
			return server.doOnConnection((connection) -> this.channels.add(connection.channel()));
		}

		int count() {
			return this.channels.size();
		}

		Channel only() {
			assertThat(this.channels).hasSize(1);
			return this.channels.iterator().next();
		}

		/**
		 * Return the names of the starter's handlers in the pipeline of the only channel,
		 * read on its event loop (after everything the server did for the previous
		 * response, the end of the request included).
		 */
		List<String> handlersBetweenRequests() throws Exception {
			assertThat(this.channels).hasSize(1);
			Channel channel = this.channels.iterator().next();
			return channel.eventLoop()
				.submit(() -> channel.pipeline()
					.names()
					.stream()
					.filter((name) -> name.startsWith("gracefulShutdown"))
					.toList())
				.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}

	}

}
