package dev.graceful.shutdown.discovery;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.testsupport.RawHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leaving ZooKeeper discovery, against a real ZooKeeper server in the test JVM
 * (Curator's {@link TestingServer}) and Spring Cloud Zookeeper's own registration: with
 * the starter the instance's node is gone before the HTTP drain starts, while a slow
 * request in flight still completes; with {@code graceful.shutdown.enabled=false} (plain
 * Spring Boot and Spring Cloud) it is still registered when the drain starts.
 */
@Timeout(180)
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
class ZooKeeperDiscoveryShutdownTests {

	private static final String SERVICE = "orders";

	private static final String SERVICE_PATH = "/services/" + SERVICE;

	private TestingServer zookeeper;

	private CuratorFramework client;

	private ConfigurableApplicationContext context;

	@BeforeEach
	void startZooKeeper() throws Exception {
		this.zookeeper = new TestingServer(true);
		this.client = CuratorFrameworkFactory.newClient("127.0.0.1:" + this.zookeeper.getPort(),
				new RetryOneTime(100));
		this.client.start();
		assertThat(this.client.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
	}

	@AfterEach
	void stop() throws Exception {
		if (this.context != null) {
			this.context.close();
		}
		if (this.client != null) {
			this.client.close();
		}
		if (this.zookeeper != null) {
			this.zookeeper.close();
		}
	}

	@Test
	void instanceLeavesZooKeeperBeforeTheDrainAndTheRequestInFlightCompletes() throws Exception {
		Run run = shutDownWithSlowRequest(true);
		ShutdownReport report = run.report();

		assertThat(run.registeredAtDrainStart()).isZero();
		assertThat(run.deregisteredAtNanos()).isLessThan(run.drainStartNanos());
		assertThat(run.response().status()).isEqualTo(200);
		assertThat(run.response().body()).isEqualTo("slow done");
		Phase discovery = report.phase(DiscoveryDeregistration.STEP);
		assertThat(discovery.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(discovery.detail()).isEqualTo("left discovery: zookeeperAutoServiceRegistration");
		Phase delay = report.phase("delay");
		assertThat(discovery.startOffsetMs() + discovery.durationMs()).isLessThanOrEqualTo(delay.startOffsetMs());
		assertThat(report.phases()).extracting(Phase::name)
			.containsSubsequence("readiness", DiscoveryDeregistration.STEP, "delay", "drain");
		System.out.printf("ZooKeeper with the starter: node gone %d ms after the shutdown started, drain started"
				+ " at %d ms, %d instance(s) registered then; slow request %d%n", run.goneAfterMs(),
				run.drainStartAfterMs(), run.registeredAtDrainStart(), run.response().status());
	}

	@Test
	void withoutTheStarterTheInstanceIsStillRegisteredWhenTheDrainStarts() throws Exception {
		Run run = shutDownWithSlowRequest(false);

		// Plain Spring Cloud deregisters only when its bean is destroyed, after the drain:
		// callers that discovered the instance keep sending while it stops accepting.
		assertThat(run.registeredAtDrainStart()).isOne();
		assertThat(run.deregisteredAtNanos()).isGreaterThan(run.drainStartNanos());
		assertThat(run.response().status()).isEqualTo(200);
		System.out.printf("ZooKeeper without the starter (control): node gone %d ms after close() was called, drain"
				+ " started at %d ms, %d instance(s) registered then%n", run.goneAfterMs(), run.drainStartAfterMs(),
				run.registeredAtDrainStart());
	}

	@Test
	void registryThatCannotBeReachedHoldsTheShutdownNoLongerThanTheDiscoveryTimeout() throws Exception {
		this.context = start(true, "graceful.shutdown.discovery.timeout=1s");
		awaitRegistered(1);
		ShutdownProgress progress = this.context.getBean(ShutdownProgress.class);
		// The registry goes away: the deregistration cannot be confirmed.
		this.zookeeper.stop();

		this.context.close();

		ShutdownReport report = progress.report();
		assertThat(report).isNotNull();
		Phase discovery = report.phase(DiscoveryDeregistration.STEP);
		assertThat(discovery.outcome()).isEqualTo(Outcome.TIMED_OUT);
		assertThat(discovery.detail())
			.isEqualTo("left discovery: none; no answer within 1000 ms: zookeeperAutoServiceRegistration");
		assertThat(report.phases()).extracting(Phase::name)
			.containsSubsequence("readiness", DiscoveryDeregistration.STEP, "delay", "drain");
		System.out.printf("ZooKeeper unreachable: discovery step %s after %d ms (%s); shutdown took %d ms%n",
				discovery.outcome(), discovery.durationMs(), discovery.detail(), report.totalMs());
	}

	private Run shutDownWithSlowRequest(boolean enabled) throws Exception {
		DrainStartProbe probe = new DrainStartProbe(this.client);
		this.context = start(enabled, probe);
		awaitRegistered(1);
		int port = ((WebServerApplicationContext) this.context).getWebServer().getPort();
		SlowController slow = this.context.getBean(SlowController.class);
		probe.onDrainStart(slow.release::countDown);
		ShutdownProgress progress = enabled ? this.context.getBean(ShutdownProgress.class) : null;

		CompletableFuture<RawHttp.Response> response = RawHttp.fetchAsync(port, "/slow");
		assertThat(slow.entered.await(30, TimeUnit.SECONDS)).isTrue();
		AtomicLong goneAt = new AtomicLong();
		Thread watcher = new Thread(() -> goneAt.set(awaitGone()), "zookeeper-watch");
		long closeStart = System.nanoTime();
		watcher.start();
		this.context.close();
		watcher.join(TimeUnit.SECONDS.toMillis(60));
		ShutdownReport report = (progress != null) ? progress.report() : null;
		return new Run(probe.registered, goneAt.get(), probe.atNanos, closeStart,
				response.get(60, TimeUnit.SECONDS), report);
	}

	private long awaitGone() {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
		while (System.nanoTime() < deadline) {
			if (registered(this.client) == 0) {
				return System.nanoTime();
			}
			sleep(5);
		}
		return Long.MAX_VALUE;
	}

	private void awaitRegistered(int expected) {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		while (registered(this.client) != expected) {
			assertThat(System.nanoTime()).as("registered in ZooKeeper in time").isLessThan(deadline);
			sleep(20);
		}
	}

	static int registered(CuratorFramework client) {
		try {
			List<String> children = client.getChildren().forPath(SERVICE_PATH);
			return children.size();
		}
		catch (KeeperException.NoNodeException ex) {
			return 0;
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private ConfigurableApplicationContext start(boolean enabled, String... properties) {
		return start(enabled, null, properties);
	}

	private ConfigurableApplicationContext start(boolean enabled, DrainStartProbe probe, String... properties) {
		SpringApplicationBuilder builder = new SpringApplicationBuilder(RegisteredApplication.class)
			.bannerMode(Banner.Mode.OFF)
			.properties(DiscoveredApplication.OWN_CONFIG, "server.port=0", "server.address=127.0.0.1",
					"spring.application.name=" + SERVICE,
					"spring.cloud.zookeeper.connect-string=127.0.0.1:" + this.zookeeper.getPort(),
					"spring.cloud.zookeeper.discovery.instance-host=127.0.0.1", "graceful.shutdown.delay=1s",
					"graceful.shutdown.watchdog.enabled=false", "graceful.shutdown.enabled=" + enabled,
					"eureka.client.enabled=false")
			.properties(properties);
		if (probe != null) {
			builder.initializers((context) -> context.getBeanFactory().registerSingleton("drainStartProbe", probe));
		}
		return builder.run();
	}

	record Run(int registeredAtDrainStart, long deregisteredAtNanos, long drainStartNanos, long closeStartNanos,
			RawHttp.Response response, ShutdownReport report) {

		long goneAfterMs() {
			return TimeUnit.NANOSECONDS.toMillis(this.deregisteredAtNanos - this.closeStartNanos);
		}

		long drainStartAfterMs() {
			return TimeUnit.NANOSECONDS.toMillis(this.drainStartNanos - this.closeStartNanos);
		}

	}

	/**
	 * Looks at ZooKeeper just before Spring Boot's web server drain starts, then lets the
	 * slow request finish.
	 */
	static final class DrainStartProbe implements SmartLifecycle {

		private final CuratorFramework client;

		private volatile boolean running;

		private volatile Runnable then = () -> {
		};

		volatile int registered = -1;

		volatile long atNanos;

		DrainStartProbe(CuratorFramework client) {
			this.client = client;
		}

		void onDrainStart(Runnable then) {
			this.then = then;
		}

		@Override
		public void start() {
			this.running = true;
		}

		@Override
		public void stop() {
			this.atNanos = System.nanoTime();
			this.registered = registered(this.client);
			this.running = false;
			this.then.run();
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

	@RestController
	static class SlowController {

		final CountDownLatch entered = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

		@GetMapping("/slow")
		String slow() throws InterruptedException {
			this.entered.countDown();
			this.release.await(30, TimeUnit.SECONDS);
			return "slow done";
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class RegisteredApplication {

		@Bean
		SlowController slowController() {
			return new SlowController();
		}

	}

}
