package dev.graceful.shutdown.web.reactive;

import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.server.WebServer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Requests;
import dev.graceful.shutdown.testsupport.RawHttp.Connection;
import dev.graceful.shutdown.testsupport.RawHttp.Response;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Graceful shutdown of a real WebFlux application on the reactive servers other than
 * Reactor Netty, Tomcat's and Jetty's, where the starter's web filter alone counts the
 * requests and hands the connections off, closed while real HTTP clients talk to it.
 * Requests that must be in flight at a given moment are held by a gate the test opens.
 */
@ParameterizedClass(name = "{0}")
@ValueSource(strings = { "tomcat", "jetty" })
class ReactiveFilterShutdownTests extends ReactiveApplicationFixture {

	private static final String OTHER_SERVERS = "org.springframework.boot.reactor.netty.autoconfigure."
			+ "NettyReactiveWebServerAutoConfiguration,"
			+ "org.springframework.boot.reactor.netty.autoconfigure.actuate.web.server."
			+ "NettyReactiveManagementContextAutoConfiguration,";

	/**
	 * Replaces the test resources' list of excluded auto-configurations, which leaves
	 * Jetty out: Reactor Netty's and the other server's are left out instead.
	 */
	private static final String ON_TOMCAT = "--spring.autoconfigure.exclude=" + OTHER_SERVERS
			+ "org.springframework.boot.jetty.autoconfigure.reactive.JettyReactiveWebServerAutoConfiguration,"
			+ "org.springframework.boot.jetty.autoconfigure.actuate.web.server."
			+ "JettyReactiveManagementContextAutoConfiguration";

	private static final String ON_JETTY = "--spring.autoconfigure.exclude=" + OTHER_SERVERS
			+ "org.springframework.boot.tomcat.autoconfigure.reactive.TomcatReactiveWebServerAutoConfiguration,"
			+ "org.springframework.boot.tomcat.autoconfigure.actuate.web.server."
			+ "TomcatReactiveManagementContextAutoConfiguration";

	@Parameter
	String server;

	@Test
	void requestInFlightWhenTheDrainStartsIsAnsweredWithConnectionCloseAndCounted() throws Exception {
		start("--graceful.shutdown.delay=0");
		// Reactor Netty is on the class path, but not the server: its counting is not registered,
		// and the filter counts.
		assertThat(this.context.getBeanProvider(NettyRequestTracking.class).getIfAvailable()).isNull();
		assertThat(filterChain()).anyMatch(InFlightWebFilter.class::isInstance);
		CompletableFuture<Response> held = send("/held");
		awaitInFlight(1);
		CompletableFuture<Duration> closing = closeInBackground();
		awaitRefusingConnections();
		assertThat(held).isNotDone();
		this.gate.open();
		Response response = held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(response.status()).isEqualTo(200);
		assertThat(response.body()).isEqualTo("released\n");
		assertThat(response.closesConnection()).isTrue();
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		assertThat(report().phase("drain").outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(report().requests()).isEqualTo(new Requests(1, 1, 0));
	}

	@Test
	void newConnectionsDuringTheDelayAreServedWithConnectionCloseWhileReadinessIsDown() throws Exception {
		start("--graceful.shutdown.delay=3s");
		try (Connection before = this.http.open()) {
			Response first = before.get("/work");
			assertThat(first.status()).isEqualTo(200);
			assertThat(first.closesConnection()).isFalse();
			CompletableFuture<Duration> closing = closeInBackground();
			awaitStep("delay");
			// A client of the load balancer, which still routes to the instance.
			Response during = this.http.get("/work?ms=10");
			assertThat(during.status()).isEqualTo(200);
			assertThat(during.body()).isEqualTo("worked 10 ms\n");
			assertThat(during.closesConnection()).isTrue();
			// The keep-alive connection opened before the shutdown: closed after its next response.
			Response again = before.get("/work");
			assertThat(again.status()).isEqualTo(200);
			assertThat(again.closesConnection()).isTrue();
			assertThat(before.awaitClosedByServer(TIMEOUT)).isTrue();
			Response readiness = this.http.get("/actuator/health/readiness");
			assertThat(readiness.status()).isEqualTo(503);
			assertThat(readiness.body()).contains("OUT_OF_SERVICE");
			assertThat(closing).isNotDone();
			closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
		}
		assertThat(report().phase("delay").outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(report().requests()).isEqualTo(new Requests(0, 0, 0));
	}

	@Test
	void whenDisabledNewConnectionsAreRefusedAsSoonAsTheShutdownStarts() throws Exception {
		// The control: the same moment as above, plain Spring Boot's graceful shutdown.
		start("--graceful.shutdown.enabled=false", "--graceful.shutdown.delay=3s");
		assertThat(this.progress).isNull();
		CompletableFuture<Response> held = send("/held");
		await().atMost(TIMEOUT).until(() -> this.gate.waiting() == 1);
		CompletableFuture<Duration> closing = closeInBackground();
		awaitRefusingConnections();
		// The shutdown is still under way, held by the request in flight, and a client the
		// load balancer still sends here is turned away.
		assertThat(closing).isNotDone();
		assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> this.http.get("/work"));
		this.gate.open();
		assertThat(held.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).status()).isEqualTo(200);
		closing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
	}

	private void start(String... args) {
		List<String> all = new ArrayList<>(List.of(args));
		all.add("tomcat".equals(this.server) ? ON_TOMCAT : ON_JETTY);
		WebServer webServer = run(FilteredApplication.class, all.toArray(String[]::new));
		assertThat(webServer.getClass().getSimpleName()).startsWithIgnoringCase(this.server);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@Import(WorkController.class)
	static class FilteredApplication {

		@Bean
		RequestGate requestGate() {
			return new RequestGate();
		}

	}

}
