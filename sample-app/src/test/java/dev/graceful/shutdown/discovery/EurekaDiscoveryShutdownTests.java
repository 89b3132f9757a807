package dev.graceful.shutdown.discovery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

import com.netflix.appinfo.InstanceInfo;
import com.netflix.appinfo.InstanceInfo.InstanceStatus;
import com.netflix.discovery.shared.Application;
import com.netflix.eureka.registry.PeerAwareInstanceRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.cloud.netflix.eureka.server.EnableEurekaServer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leaving Eureka, against an in-process Eureka server: the instance is DOWN on the server
 * when the shutdown starts, and the plan line warns when the delay is shorter than the
 * time Eureka's caches take to tell callers, and only then.
 */
@Timeout(180)
@ExtendWith(OutputCaptureExtension.class)
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
class EurekaDiscoveryShutdownTests {

	private static final String WARNING = "callers that find this instance through Eureka may keep sending to it";

	private static ConfigurableApplicationContext server;

	private ConfigurableApplicationContext client;

	@BeforeAll
	static void startEurekaServer() {
		int port = freePort();
		// Its own URL as its only peer: a standalone server that replicates to no one.
		server = new SpringApplicationBuilder(EurekaServerApplication.class).bannerMode(Banner.Mode.OFF)
			.properties(DiscoveredApplication.OWN_CONFIG, "server.port=" + port, "server.address=127.0.0.1",
					"spring.application.name=eureka",
					"eureka.instance.hostname=127.0.0.1",
					"eureka.client.service-url.defaultZone=http://127.0.0.1:" + port + "/eureka/",
					"eureka.client.register-with-eureka=false", "eureka.client.fetch-registry=false",
					"eureka.dashboard.enabled=false", "eureka.server.enable-self-preservation=false",
					"spring.cloud.zookeeper.enabled=false", "graceful.shutdown.enabled=false")
			.run();
	}

	@AfterAll
	static void stopEurekaServer() {
		if (server != null) {
			server.close();
		}
	}

	@AfterEach
	void closeClient() {
		if (this.client != null) {
			this.client.close();
		}
	}

	@Test
	void instanceIsDownOnTheServerWhenTheDelayStarts() throws Exception {
		StatusProbe probe = new StatusProbe();
		this.client = startClient(probe, "graceful.shutdown.delay=2s");
		awaitStatus(InstanceStatus.UP);
		ShutdownProgress progress = this.client.getBean(ShutdownProgress.class);
		long closeStart = System.nanoTime();
		Thread watcher = new Thread(() -> probe.downAtNanos = awaitStatus(InstanceStatus.DOWN), "eureka-watch");
		watcher.start();

		this.client.close();
		watcher.join(TimeUnit.SECONDS.toMillis(60));

		ShutdownReport report = progress.report();
		assertThat(report).isNotNull();
		Phase discovery = report.phase(DiscoveryDeregistration.STEP);
		assertThat(discovery.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(discovery.detail()).isEqualTo("left discovery: eurekaRegistration");
		assertThat(probe.statusAtDrainStart).isEqualTo(InstanceStatus.DOWN);
		assertThat(probe.downAtNanos).isLessThan(probe.drainStartNanos);
		System.out.printf("Eureka with the starter: DOWN on the server %d ms after the shutdown started, drain started"
				+ " at %d ms with the instance %s there%n", TimeUnit.NANOSECONDS.toMillis(probe.downAtNanos - closeStart),
				TimeUnit.NANOSECONDS.toMillis(probe.drainStartNanos - closeStart), probe.statusAtDrainStart);
	}

	@Test
	void planLineWarnsWhenTheDelayIsShorterThanEurekasCaches(CapturedOutput output) {
		this.client = startClient(null, "graceful.shutdown.delay=2s");

		assertThat(output.getOut()).contains("Graceful shutdown plan: leave Eureka first (callers may keep sending"
				+ " up to 95000 ms after), delay 2000 ms");
		assertThat(output.getOut()).contains(WARNING + " for up to 95000 ms after it leaves discovery")
			.contains("raise graceful.shutdown.delay to 95s or more, or shorten"
					+ " eureka.server.response-cache-update-interval-ms, eureka.client.registry-fetch-interval-seconds,"
					+ " spring.cloud.loadbalancer.cache.ttl");
	}

	@Test
	void planLineDoesNotWarnWhenTheDelayCoversEurekasCaches(CapturedOutput output) {
		this.client = startClient(null, "graceful.shutdown.delay=3s", "eureka.client.registry-fetch-interval-seconds=1",
				"eureka.server.response-cache-update-interval-ms=1000", "spring.cloud.loadbalancer.cache.ttl=1s");

		assertThat(output.getOut()).contains("Graceful shutdown plan: leave Eureka first (callers may keep sending"
				+ " up to 3000 ms after), delay 3000 ms");
		assertThat(output.getOut()).doesNotContain(WARNING);
	}

	@Test
	void withoutTheStarterNothingWarnsOfEurekasCaches(CapturedOutput output) {
		this.client = startClient(null, "graceful.shutdown.enabled=false");
		awaitStatus(InstanceStatus.UP);

		// Plain Spring Boot and Spring Cloud say nothing of the time callers keep sending.
		assertThat(output.getOut()).doesNotContain("Graceful shutdown plan").doesNotContain(WARNING);
		assertThat(this.client.getBeanNamesForType(DiscoveryPropagation.class)).isEmpty();
	}

	private ConfigurableApplicationContext startClient(StatusProbe probe, String... properties) {
		int port = ((WebServerApplicationContext) server).getWebServer().getPort();
		SpringApplicationBuilder builder = new SpringApplicationBuilder(ClientApplication.class)
			.bannerMode(Banner.Mode.OFF)
			.properties(DiscoveredApplication.OWN_CONFIG, "server.port=0", "server.address=127.0.0.1",
					"spring.application.name=orders",
					"eureka.client.service-url.defaultZone=http://127.0.0.1:" + port + "/eureka/",
					"eureka.client.fetch-registry=false", "eureka.client.initial-instance-info-replication-interval-seconds=1",
					"eureka.client.instance-info-replication-interval-seconds=1", "eureka.instance.hostname=127.0.0.1",
					"eureka.instance.ip-address=127.0.0.1", "eureka.instance.prefer-ip-address=true",
					"spring.cloud.zookeeper.enabled=false", "graceful.shutdown.watchdog.enabled=false",
					"eureka.client.jersey.enabled=false")
			.properties(properties);
		if (probe != null) {
			builder.initializers((context) -> context.getBeanFactory().registerSingleton("statusProbe", probe));
		}
		return builder.run();
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static long awaitStatus(InstanceStatus status) {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
		while (status() != status) {
			assertThat(System.nanoTime()).as("instance %s on the Eureka server in time", status).isLessThan(deadline);
			try {
				Thread.sleep(5);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException(ex);
			}
		}
		return System.nanoTime();
	}

	/**
	 * The status of the instance in the server's registry (not its response cache).
	 */
	static InstanceStatus status() {
		Application application = server.getBean(PeerAwareInstanceRegistry.class).getApplication("ORDERS");
		if (application == null || application.getInstances().isEmpty()) {
			return null;
		}
		InstanceInfo instance = application.getInstances().get(0);
		return instance.getStatus();
	}

	/**
	 * Looks at the Eureka server just before Spring Boot's web server drain starts.
	 */
	static final class StatusProbe implements SmartLifecycle {

		private volatile boolean running;

		volatile InstanceStatus statusAtDrainStart;

		volatile long drainStartNanos;

		volatile long downAtNanos = Long.MAX_VALUE;

		@Override
		public void start() {
			this.running = true;
		}

		@Override
		public void stop() {
			this.drainStartNanos = System.nanoTime();
			this.statusAtDrainStart = status();
			this.running = false;
		}

		@Override
		public boolean isRunning() {
			return this.running;
		}

		@Override
		public int getPhase() {
			return WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE + 1;
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	@EnableEurekaServer
	static class EurekaServerApplication {

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class ClientApplication {

	}

}
