package dev.graceful.shutdown.web;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.reactor.netty.NettyWebServer;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drain guard of {@link DrainMonitor} on a real Reactor Netty server whose web server
 * the application stopped before closing the context. Spring Boot's Netty graceful
 * shutdown never reports back when it has no server to dispose of, so without the guard
 * the context close waits out {@code spring.lifecycle.timeout-per-shutdown-phase}.
 */
class ReactiveStoppedServerShutdownTests {

	private ConfigurableApplicationContext context;

	@AfterEach
	void closeContext() {
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void closeSkipsTheDrainInsteadOfWaitingOutThePhaseTimeoutWhenTheWebServerIsStopped() {
		start("--spring.lifecycle.timeout-per-shutdown-phase=20s");
		ShutdownRecorder progress = this.context.getBean(ShutdownRecorder.class);
		stopWebServer();
		Duration closed = timeClose();
		ShutdownReport report = progress.report();
		assertThat(report).isNotNull();
		assertThat(report.complete()).isTrue();
		assertThat(report.phases()).extracting(Phase::name).startsWith("readiness", "delay", DrainMonitor.STEP);
		Phase drain = report.phase(DrainMonitor.STEP);
		assertThat(drain.outcome()).isEqualTo(Outcome.SKIPPED);
		assertThat(drain.detail()).isEqualTo("web server is not serving");
		assertThat(report.requests()).isNull();
		assertThat(closed).isLessThan(Duration.ofMillis(2500));
	}

	@Test
	void withoutTheStarterCloseWaitsOutThePhaseTimeoutWhenTheWebServerIsStopped() {
		start("--graceful.shutdown.enabled=false", "--spring.lifecycle.timeout-per-shutdown-phase=5s");
		assertThat(this.context.getBeanProvider(DrainMonitor.class).getIfAvailable()).isNull();
		stopWebServer();
		assertThat(timeClose()).isGreaterThanOrEqualTo(Duration.ofMillis(4500));
	}

	private void start(String... args) {
		this.context = new SpringApplicationBuilder(StoppedServerApplication.class).web(WebApplicationType.REACTIVE)
			.registerShutdownHook(false)
			// Reactor Netty's event loops wait 2s of quiet when they stop (after the drain):
			// not what is measured here.
			.properties("server.port=0", "server.address=127.0.0.1", "server.shutdown=graceful",
					"graceful.shutdown.delay=0", "spring.reactor.netty.shutdown-quiet-period=0s",
					"spring.main.banner-mode=off")
			.run(args);
	}

	private void stopWebServer() {
		WebServer webServer = ((WebServerApplicationContext) this.context).getWebServer();
		assertThat(webServer).isInstanceOf(NettyWebServer.class);
		assertThat(webServer.getPort()).isPositive();
		webServer.stop();
		assertThat(webServer.getPort()).isEqualTo(-1);
	}

	private Duration timeClose() {
		long start = System.nanoTime();
		this.context.close();
		return Duration.ofNanos(System.nanoTime() - start);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class StoppedServerApplication {

	}

}
