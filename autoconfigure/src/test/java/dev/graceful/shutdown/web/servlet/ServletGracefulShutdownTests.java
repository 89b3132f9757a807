package dev.graceful.shutdown.web.servlet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jetty.JettyServerCustomizer;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.view.RedirectView;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.TrafficGaps;
import dev.graceful.shutdown.testsupport.RawHttp;
import dev.graceful.shutdown.testsupport.RawHttp.Connection;
import dev.graceful.shutdown.testsupport.RawHttp.Response;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Graceful shutdown of a real Spring Boot servlet application on Tomcat and on Jetty 12,
 * closed while real HTTP clients talk to it. Requests that must be in flight at a given
 * moment are held by a gate the test opens, so outcomes do not depend on timing. The
 * tests of Tomcat's own request counts run on Tomcat only; on Jetty the starter's filter
 * counts every request.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "tomcat", "jetty" })
class ServletGracefulShutdownTests {

	/**
	 * Run on Jetty: the test resources' application.properties excludes Jetty's
	 * auto-configuration; a command-line argument replaces that list with Tomcat's.
	 */
	private static final String ON_JETTY = "--spring.autoconfigure.exclude="
			+ "org.springframework.boot.tomcat.autoconfigure.servlet.TomcatServletWebServerAutoConfiguration";

	@Parameter
	String server;

	private static final Duration TIMEOUT = RawHttp.TIMEOUT;

	private static final int DOWNLOAD_MB = 32;

	/** Longer than Jetty's default shutdown idle timeout of one second. */
	private static final Duration READER_STALL = Duration.ofMillis(2500);

	private final ExecutorService executor = Executors.newCachedThreadPool();

	private @Nullable ConfigurableApplicationContext context;

	private @Nullable ShutdownRecorder progress;

	private WorkController work;

	private RawHttp http;

	@AfterEach
	void stopApplication() {
		if (this.work != null) {
			this.work.release();
		}
		if (this.context != null) {
			this.context.close();
		}
		this.executor.shutdownNow();
	}

	@Test
	void slowRequestInFlightAtShutdownCompletesWithConnectionClose() throws Exception {
		start("graceful.shutdown.delay=0");
		Future<Response> slow = send("/work?ms=1500");
		awaitArrivals(1);
		Future<Duration> closing = closeInBackground();
		Response response = slow.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.body()).isEqualTo("worked 1500 ms");
		assertThat(response.closesConnection()).isTrue();
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
	}

	@Test
	void requestInFlightWhenDrainStartsCompletesWithConnectionClose() throws Exception {
		start("graceful.shutdown.delay=0");
		Future<Response> held = send("/held");
		awaitArrivals(1);
		Future<Duration> closing = closeInBackground();
		awaitRefusingConnections();
		this.work.release();
		Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.body()).isEqualTo("released");
		assertThat(response.closesConnection()).isTrue();
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
	}

	@Test
	void requestInFlightWhenDelayStartsCompletesDuringDelayWithConnectionClose() throws Exception {
		start("graceful.shutdown.delay=5s");
		Future<Response> held = send("/held");
		awaitArrivals(1);
		Future<Duration> closing = closeInBackground();
		awaitStep("delay");
		this.work.release();
		Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.closesConnection()).isTrue();
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		// It finished during the delay: the drain had nothing left to wait for.
		assertThat(report().requests()).isEqualTo(new Requests(0, 0, 0));
	}

	@Test
	void requestsDuringDelayAreServedWithConnectionCloseWhileReadinessIsDown() throws Exception {
		start("graceful.shutdown.delay=5s");
		Response readyBefore = this.http.get("/actuator/health/readiness");
		assertThat(readyBefore.status()).isEqualTo(200);
		assertThat(readyBefore.closesConnection()).isFalse();
		assertThat(this.http.get("/work").closesConnection()).isFalse();
		Future<Duration> closing = closeInBackground();
		awaitStep("delay");
		try (Connection connection = this.http.open()) {
			Response during = connection.get("/work?ms=10");
			assertThat(during.status()).isEqualTo(200);
			assertThat(during.body()).isEqualTo("worked 10 ms");
			assertThat(during.closesConnection()).isTrue();
			assertThat(connection.awaitClosedByServer(TIMEOUT)).isTrue();
		}
		Response readiness = this.http.get("/actuator/health/readiness");
		assertThat(readiness.status()).isEqualTo(503);
		assertThat(readiness.body()).contains("OUT_OF_SERVICE");
		Response liveness = this.http.get("/actuator/health/liveness");
		assertThat(liveness.status()).isEqualTo(200);
		assertThat(liveness.body()).contains("UP");
		assertThat(closing).isNotDone();
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		ShutdownReport report = report();
		assertThat(report.phase("delay").outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(report.phase("readiness").detail()).isEqualTo("published by Spring Boot");
	}

	@Test
	void keepAliveConnectionOpenedBeforeShutdownIsClosedAfterItsNextResponse() throws Exception {
		start("graceful.shutdown.delay=5s");
		try (Connection connection = this.http.open()) {
			Response before = connection.get("/work");
			assertThat(before.status()).isEqualTo(200);
			assertThat(before.closesConnection()).isFalse();
			Future<Duration> closing = closeInBackground();
			awaitStep("delay");
			// The same connection, as a client pinned by an L4 load balancer would reuse it.
			Response during = connection.get("/work");
			assertThat(during.status()).isEqualTo(200);
			assertThat(during.closesConnection()).isTrue();
			assertThat(connection.awaitClosedByServer(TIMEOUT)).isTrue();
			closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}
	}

	@Test
	void newConnectionsAreRefusedOnceDrainStartsWhileInFlightRequestRuns() throws Exception {
		start("graceful.shutdown.delay=0");
		Future<Response> held = send("/held");
		awaitArrivals(1);
		Future<Duration> closing = closeInBackground();
		awaitRefusingConnections();
		assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> this.http.get("/work"));
		assertThat(held).isNotDone();
		assertThat(closing).isNotDone();
		this.work.release();
		assertThat(held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).status()).isEqualTo(200);
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(report().phase("drain").outcome()).isEqualTo(Outcome.COMPLETED);
	}

	@Test
	void drainReportCountsEveryRequestInFlightAtDrainStart() throws Exception {
		start("graceful.shutdown.delay=0");
		List<Future<Response>> held = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			held.add(send("/held"));
		}
		awaitArrivals(3);
		Future<Duration> closing = closeInBackground();
		awaitRefusingConnections();
		this.work.release();
		for (Future<Response> request : held) {
			Response response = request.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.closesConnection()).isTrue();
		}
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		ShutdownReport report = report();
		assertThat(report.requests()).isEqualTo(new Requests(3, 3, 0));
		Phase drain = report.phase("drain");
		assertThat(drain.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(drain.detail()).isEqualTo("3 in flight at start, 3 completed, 0 aborted");
		assertThat(report.complete()).isTrue();
	}

	@Test
	void asyncRequestInFlightAtDrainStartIsCountedUntilItCompletes() throws Exception {
		start("graceful.shutdown.delay=0");
		Future<Response> held = send("/held-async");
		awaitArrivals(1);
		Future<Duration> closing = closeInBackground();
		awaitRefusingConnections();
		this.work.release();
		Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.body()).isEqualTo("released async");
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(report().requests()).isEqualTo(new Requests(1, 1, 0));
		assertThat(report().phase("drain").outcome()).isEqualTo(Outcome.COMPLETED);
	}

	@Test
	void requestsBeforeShutdownAreReadOffTomcatsCountsInsteadOfBeingCounted() throws Exception {
		assumeTrue(onTomcat(), "Tomcat's own counts");
		start("graceful.shutdown.delay=0");
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		assertThat(filter().countsFromShutdown()).isTrue();
		for (int i = 0; i < 3; i++) {
			assertThat(this.http.get("/work").status()).isEqualTo(200);
		}
		Future<Response> held = send("/held");
		Future<Response> heldAsync = send("/held-async");
		awaitArrivals(5);
		// One servlet allocated, one asynchronous request in progress.
		await().atMost(TIMEOUT).until(() -> tracker.inFlight() == 2);
		this.work.release();
		assertThat(held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).status()).isEqualTo(200);
		assertThat(heldAsync.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).body()).isEqualTo("released async");
		await().atMost(TIMEOUT).until(() -> tracker.inFlight() == 0);
		assertThat(tracker.startedCount()).isZero();
		assertThat(tracker.finishedCount()).isZero();
	}

	@Test
	void largeResponseToSlowReaderInFlightAtDrainStartIsReadWhole() throws Exception {
		start("graceful.shutdown.delay=0");
		int received = downloadStalledAcrossDrain();
		assertThat(received).isEqualTo(DOWNLOAD_MB * 1024 * 1024);
		ShutdownReport report = report();
		assertThat(report.requests()).isEqualTo(new Requests(1, 1, 0));
		assertThat(report.phase("drain").outcome()).isEqualTo(Outcome.COMPLETED);
	}

	@Test
	void plainSpringBootOnJettyCutsOffLargeResponseToSlowReader() throws Exception {
		assumeTrue(!onTomcat(), "Jetty's shutdown idle timeout");
		start("graceful.shutdown.enabled=false");
		int received = downloadStalledAcrossDrain();
		// Jetty failed the pending write a second into the drain; what the client read is what
		// the socket buffers held by then.
		assertThat(received).isLessThan(DOWNLOAD_MB * 1024 * 1024);
	}

	@Test
	void shutdownIdleTimeoutSetByTheApplicationIsKept() throws Exception {
		assumeTrue(!onTomcat(), "Jetty's shutdown idle timeout");
		start(List.of(TestApplication.class, JettyShutdownIdleTimeout.class), "graceful.shutdown.delay=0");
		this.context.close();
		assertThat(JettyShutdownIdleTimeout.timeouts()).containsOnly(JettyShutdownIdleTimeout.MILLIS);
	}

	/**
	 * Ask for a large response that is held until the drain has started, read nothing for
	 * {@link #READER_STALL} (a slow client, the socket buffers full), then read it all.
	 * @return the body bytes received before the server closed the connection
	 */
	private int downloadStalledAcrossDrain() throws Exception {
		try (Socket socket = new Socket()) {
			// A small receive buffer, so that most of the response waits on the server.
			socket.setReceiveBufferSize(32 * 1024);
			socket.setSoTimeout((int) TIMEOUT.toMillis());
			socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), this.http.port()));
			OutputStream out = socket.getOutputStream();
			out.write(("GET /held-download?mb=" + DOWNLOAD_MB + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
				.getBytes(StandardCharsets.US_ASCII));
			out.flush();
			awaitArrivals(1);
			Future<Duration> closing = closeInBackground();
			awaitRefusingConnections();
			this.work.release();
			Thread.sleep(READER_STALL.toMillis());
			int received = readBody(socket.getInputStream());
			closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			return received;
		}
	}

	private static int readBody(InputStream in) {
		byte[] buffer = new byte[64 * 1024];
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		int headLength = -1;
		int total = 0;
		try {
			for (int read = in.read(buffer); read != -1; read = in.read(buffer)) {
				if (headLength < 0) {
					head.write(buffer, 0, Math.min(read, 4096));
					String text = head.toString(StandardCharsets.ISO_8859_1);
					int end = text.indexOf("\r\n\r\n");
					if (end >= 0) {
						assertThat(text).startsWith("HTTP/1.1 200");
						headLength = end + 4;
					}
				}
				total += read;
			}
		}
		catch (IOException ex) {
			// A reset after the server failed the write: what was read counts.
		}
		return (headLength < 0) ? 0 : total - headLength;
	}

	@Test
	void drainCountsRequestsFromBeforeAndAfterTheShutdownStarted() throws Exception {
		start("graceful.shutdown.delay=1s");
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		// Tomcat's counts stand in for the filter's until the shutdown; Jetty has none the
		// filter reads, so there the filter counts every request from the start.
		assertThat(filter().countsFromShutdown()).isEqualTo(onTomcat());
		assertThat(this.http.get("/work").status()).isEqualTo(200);
		Future<Response> before = send("/held");
		awaitArrivals(2);
		Future<Duration> closing = closeInBackground();
		awaitStep("delay");
		Future<Response> during = send("/held-async");
		awaitArrivals(3);
		awaitRefusingConnections();
		// Only the request that arrived once the shutdown had started was counted by the
		// filter on Tomcat, which counts both in flight itself; on Jetty the filter counted all.
		assertThat(tracker.startedCount()).isEqualTo(onTomcat() ? 1 : 3);
		assertThat(tracker.inFlight()).isEqualTo(2);
		this.work.release();
		for (Future<Response> request : List.of(before, during)) {
			Response response = request.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
			assertThat(response.status()).isEqualTo(200);
			assertThat(response.closesConnection()).isTrue();
		}
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		ShutdownReport report = report();
		assertThat(report.requests()).isEqualTo(new Requests(2, 2, 0));
		assertThat(report.phase("drain").detail()).isEqualTo("2 in flight at start, 2 completed, 0 aborted");
		assertThat(tracker.finishedCount()).isEqualTo(onTomcat() ? 1 : 3);
	}

	@Test
	void ownTomcatFactoryLeavesTheCountingToTheFilter() throws Exception {
		assumeTrue(onTomcat(), "a Tomcat factory of one's own");
		// Spring Boot applies no TomcatContextCustomizer beans to a factory of one's own.
		start(List.of(TestApplication.class, OwnTomcatFactory.class), "graceful.shutdown.delay=0");
		RequestTracker tracker = this.context.getBean(RequestTracker.class);
		assertThat(filter().countsFromShutdown()).isFalse();
		assertThat(this.http.get("/work").status()).isEqualTo(200);
		Future<Response> held = send("/held");
		awaitArrivals(2);
		assertThat(tracker.startedCount()).isEqualTo(2);
		assertThat(tracker.inFlight()).isEqualTo(1);
		Future<Duration> closing = closeInBackground();
		awaitRefusingConnections();
		this.work.release();
		assertThat(held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).status()).isEqualTo(200);
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(report().requests()).isEqualTo(new Requests(1, 1, 0));
	}

	@Test
	void drainOutlastingPhaseTimeoutIsReportedTimedOutWithAbortedRequest() throws Exception {
		start("graceful.shutdown.delay=0", "spring.lifecycle.timeout-per-shutdown-phase=1s");
		Future<Response> held = send("/held");
		awaitArrivals(1);
		Future<Duration> closing = closeInBackground();
		await().atMost(TIMEOUT).until(() -> {
			ShutdownReport report = this.progress.report();
			return report != null && report.phase("drain") != null;
		});
		// Only now let the request end, long after the phase timed out.
		this.work.release();
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		ShutdownReport report = report();
		assertThat(report.phase("drain").outcome()).isEqualTo(Outcome.TIMED_OUT);
		assertThat(report.requests()).isEqualTo(new Requests(1, 0, 1));
		// Whether its response made it out before Tomcat stopped does not matter here.
		await().atMost(TIMEOUT).until(held::isDone);
	}

	@Test
	void quietPeriodEndsDelayEarlyWhenNoRequestArrives() throws Exception {
		start("graceful.shutdown.delay=10s", "graceful.shutdown.quiet-period=300ms");
		long start = System.nanoTime();
		this.context.close();
		Duration closing = Duration.ofNanos(System.nanoTime() - start);
		assertThat(closing).isLessThan(Duration.ofSeconds(8));
		ShutdownReport report = report();
		Phase delay = report.phase("delay");
		assertThat(delay.outcome()).isEqualTo(Outcome.ENDED_EARLY);
		assertThat(delay.durationMs()).isLessThan(10_000);
		// The quiet period counts from the start of the shutdown, not of the delay.
		assertThat(report.totalMs()).isGreaterThanOrEqualTo(300);
	}

	@Test
	void requestsDuringDelayKeepQuietPeriodFromEndingIt() throws Exception {
		// A pause on a busy machine that leaves no request for the quiet period rightly
		// ends the delay early, and such a run shows nothing: run it again.
		int attempt = 1;
		while (!requestsDuringDelayKeepQuietPeriodFromEndingIt(attempt == 3)) {
			attempt++;
		}
	}

	/**
	 * Run the scenario once; return {@code false} if the delay ended early after a pause
	 * longer than the quiet period and this is not the last attempt.
	 */
	private boolean requestsDuringDelayKeepQuietPeriodFromEndingIt(boolean lastAttempt) throws Exception {
		start("graceful.shutdown.delay=4s", "graceful.shutdown.quiet-period=2s");
		TrafficGaps gaps = TrafficGaps.beforeShutdown();
		Future<Duration> closing = closeInBackground();
		awaitStep("delay");
		int served = 0;
		while (!closing.isDone() && "delay".equals(this.progress.currentStep())) {
			try {
				assertThat(gaps.send(() -> this.http.get("/work")).status()).isEqualTo(200);
				served++;
			}
			catch (IOException ex) {
				// The delay ended and the drain began between the check and the request.
				break;
			}
			Thread.sleep(100);
		}
		gaps.stop();
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		Outcome outcome = report().phase("delay").outcome();
		if (!lastAttempt && outcome == Outcome.ENDED_EARLY && gaps.longest().compareTo(Duration.ofSeconds(2)) >= 0) {
			return false;
		}
		assertThat(served).isGreaterThan(0);
		assertThat(outcome).as("delay outcome with %s", gaps).isEqualTo(Outcome.COMPLETED);
		return true;
	}

	@Test
	void healthChecksDuringDelayDoNotKeepQuietPeriodFromEndingIt() throws Exception {
		// Load balancers and the kubelet keep probing an instance they have taken out of
		// rotation; only real traffic should hold the delay open.
		start("graceful.shutdown.delay=6s", "graceful.shutdown.quiet-period=1s");
		Future<Duration> closing = closeInBackground();
		awaitStep("delay");
		while (!closing.isDone() && "delay".equals(this.progress.currentStep())) {
			try {
				assertThat(this.http.get("/actuator/health/readiness").status()).isEqualTo(503);
			}
			catch (IOException ex) {
				// The delay ended and the drain began between the check and the probe.
				break;
			}
			Thread.sleep(250);
		}
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(report().phase("delay").outcome()).isEqualTo(Outcome.ENDED_EARLY);
	}

	@Test
	void disabledShutdownNeitherClosesConnectionsNorDelays() throws Exception {
		start("graceful.shutdown.enabled=false", "graceful.shutdown.delay=10s");
		assertThat(this.context.getBeanProvider(ShutdownRecorder.class).getIfAvailable()).isNull();
		Future<Response> held = send("/held");
		awaitArrivals(1);
		long start = System.nanoTime();
		Future<Duration> closing = closeInBackground();
		awaitRefusingConnections();
		this.work.release();
		Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		// Jetty's own graceful shutdown closes the connection of a response that ends while
		// it drains; Tomcat's keeps it open.
		assertThat(response.closesConnection()).isEqualTo(!onTomcat());
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
	}

	@Test
	void redirectInFlightWhenDrainStartsCompletesWithConnectionClose() throws Exception {
		start("graceful.shutdown.delay=0");
		Future<Response> held = send("/held-redirect");
		awaitArrivals(1);
		Future<Duration> closing = closeInBackground();
		awaitRefusingConnections();
		this.work.release();
		Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(302);
		assertThat(response.header("Location")).endsWith("/work");
		assertThat(response.closesConnection()).isTrue();
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
	}

	@Test
	void closingWithoutServingWebServerSkipsDrain() throws Exception {
		start("server.port=-1", "graceful.shutdown.delay=0", "spring.lifecycle.timeout-per-shutdown-phase=20s");
		long start = System.nanoTime();
		this.context.close();
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
		Phase drain = report().phase("drain");
		assertThat(drain).isNotNull();
		assertThat(drain.outcome()).isEqualTo(Outcome.SKIPPED);
	}

	private void start(String... properties) {
		start(List.of(TestApplication.class), properties);
	}

	private boolean onTomcat() {
		return "tomcat".equals(this.server);
	}

	private void start(List<Class<?>> sources, String... properties) {
		SpringApplicationBuilder builder = new SpringApplicationBuilder(sources.toArray(Class<?>[]::new))
			.web(WebApplicationType.SERVLET)
			.registerShutdownHook(false)
			.properties("server.port=0", "spring.main.banner-mode=off", "spring.main.cloud-platform=none",
					"management.endpoints.web.exposure.include=health",
					"management.endpoint.health.probes.enabled=true");
		ConfigurableApplicationContext context = builder.properties(properties)
			.run(onTomcat() ? new String[0] : new String[] { ON_JETTY });
		assertThat(((WebServerApplicationContext) context).getWebServer().getClass().getSimpleName())
			.startsWithIgnoringCase(this.server);
		this.context = context;
		this.progress = context.getBeanProvider(ShutdownRecorder.class).getIfAvailable();
		this.work = context.getBean(WorkController.class);
		this.http = new RawHttp(((WebServerApplicationContext) context).getWebServer().getPort());
	}

	private InFlightRequestFilter filter() {
		return (InFlightRequestFilter) this.context
			.getBean("gracefulShutdownInFlightRequestFilter", FilterRegistrationBean.class)
			.getFilter();
	}

	private Future<Response> send(String path) {
		return this.executor.submit(() -> this.http.get(path));
	}

	private Future<Duration> closeInBackground() {
		ConfigurableApplicationContext context = this.context;
		return this.executor.submit(() -> {
			long start = System.nanoTime();
			context.close();
			return Duration.ofNanos(System.nanoTime() - start);
		});
	}

	private void awaitArrivals(int count) {
		await().atMost(TIMEOUT).until(() -> this.work.arrivals() >= count);
	}

	private void awaitStep(String step) {
		await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(10)).until(() -> step.equals(this.progress.currentStep()));
	}

	private void awaitRefusingConnections() {
		await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(20)).until(this.http::refusesConnections);
	}

	private ShutdownReport report() {
		ShutdownReport report = this.progress.report();
		assertThat(report).isNotNull();
		return report;
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@Import(WorkController.class)
	static class TestApplication {

	}

	/**
	 * Sets the connectors' shutdown idle timeout, and reads it back once the server has
	 * been stopped.
	 */
	@Configuration(proxyBeanMethods = false)
	static class JettyShutdownIdleTimeout {

		static final long MILLIS = 2500;

		private static final List<AbstractConnector> connectors = new CopyOnWriteArrayList<>();

		@Bean
		JettyServerCustomizer shutdownIdleTimeoutCustomizer() {
			connectors.clear();
			return (server) -> {
				for (Connector connector : server.getConnectors()) {
					AbstractConnector abstractConnector = (AbstractConnector) connector;
					abstractConnector.setShutdownIdleTimeout(MILLIS);
					connectors.add(abstractConnector);
				}
			};
		}

		static List<Long> timeouts() {
			assertThat(connectors).isNotEmpty();
			return connectors.stream().map(AbstractConnector::getShutdownIdleTimeout).toList();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class OwnTomcatFactory {

		@Bean
		TomcatServletWebServerFactory ownTomcatServletWebServerFactory() {
			return new TomcatServletWebServerFactory();
		}

	}

	/**
	 * {@code GET /work?ms=N} answers after N milliseconds; the {@code /held} endpoints
	 * answer once the test calls {@link #release()}.
	 */
	@RestController
	static class WorkController {

		private final AtomicInteger arrivals = new AtomicInteger();

		private final CountDownLatch gate = new CountDownLatch(1);

		@GetMapping("/work")
		String work(@RequestParam(defaultValue = "0") long ms) throws InterruptedException {
			this.arrivals.incrementAndGet();
			if (ms > 0) {
				Thread.sleep(ms);
			}
			return "worked " + ms + " ms";
		}

		@GetMapping("/held")
		String held() throws InterruptedException {
			this.arrivals.incrementAndGet();
			awaitRelease();
			return "released";
		}

		@GetMapping("/held-async")
		Callable<String> heldAsync() {
			this.arrivals.incrementAndGet();
			return () -> {
				awaitRelease();
				return "released async";
			};
		}

		@GetMapping("/held-download")
		byte[] heldDownload(@RequestParam int mb) throws InterruptedException {
			this.arrivals.incrementAndGet();
			awaitRelease();
			return new byte[mb * 1024 * 1024];
		}

		@GetMapping("/held-redirect")
		RedirectView heldRedirect() throws InterruptedException {
			this.arrivals.incrementAndGet();
			awaitRelease();
			return new RedirectView("/work", true);
		}

		int arrivals() {
			return this.arrivals.get();
		}

		void release() {
			this.gate.countDown();
		}

		private void awaitRelease() throws InterruptedException {
			if (!this.gate.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
				throw new IllegalStateException("Never released");
			}
		}

	}

}
