package dev.graceful.shutdown.discovery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.LoadBalancerClient;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rolling restart driven through discovery: two instances in child JVMs register in a
 * real ZooKeeper; a caller in the test JVM resolves them with Spring Cloud LoadBalancer
 * (cache TTL below the delay) and sends steady traffic without retries while each
 * instance in turn gets a real SIGTERM and is replaced by a new one. With the starter no
 * call fails; the same rollout with {@code graceful.shutdown.enabled=false} (plain Spring
 * Boot and Spring Cloud) loses calls.
 */
@Timeout(300)
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
class RollingRestartThroughDiscoveryTests {

	private static final String SERVICE = "orders";

	private static final Duration CACHE_TTL = Duration.ofSeconds(1);

	private static final Set<Process> alive = ConcurrentHashMap.newKeySet();

	static {
		// Last resort for a test JVM that dies without running @AfterEach: no orphan servers.
		Runtime.getRuntime().addShutdownHook(new Thread(() -> alive.forEach(Process::destroyForcibly),
				"discovered-app-reaper"));
	}

	private TestingServer zookeeper;

	private CuratorFramework client;

	private ConfigurableApplicationContext caller;

	private final List<Process> instances = new ArrayList<>();

	@BeforeEach
	void startZooKeeper() throws Exception {
		this.zookeeper = new TestingServer(true);
		this.client = CuratorFrameworkFactory.newClient(connectString(), new RetryOneTime(100));
		this.client.start();
		assertThat(this.client.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
	}

	@AfterEach
	void stop() throws Exception {
		for (Process instance : this.instances) {
			instance.destroyForcibly();
			instance.waitFor(30, TimeUnit.SECONDS);
			alive.remove(instance);
		}
		if (this.caller != null) {
			this.caller.close();
		}
		if (this.client != null) {
			this.client.close();
		}
		if (this.zookeeper != null) {
			this.zookeeper.close();
		}
	}

	@Test
	void rollingRestartThroughDiscoveryLosesNoCallWithTheStarter() throws Exception {
		Result result = rollingRestart(true);

		System.out.println("Rolling restart through ZooKeeper discovery with the starter: " + result);
		assertThat(result.sent()).isGreaterThan(0);
		assertThat(result.failed()).as(result.toString()).isZero();
		assertThat(result.succeeded()).isEqualTo(result.sent());
		assertThat(result.exitCodes()).containsOnly(143);
	}

	@Test
	void rollingRestartThroughDiscoveryLosesCallsWithoutTheStarter() throws Exception {
		Result result = rollingRestart(false);

		System.out.println("Rolling restart through ZooKeeper discovery without the starter (control): " + result);
		// Plain Spring Cloud leaves the registry only after the drain: callers keep
		// choosing the instance while it refuses connections and after it has exited.
		assertThat(result.failed()).as(result.toString()).isGreaterThan(0);
		assertThat(result.succeeded() + result.failed()).isEqualTo(result.sent());
	}

	@Test
	void delayAloneWithoutLeavingDiscoveryLosesCalls() throws Exception {
		Result result = rollingRestart("delay-only", true, "--graceful.shutdown.discovery.enabled=false");

		System.out.println("Rolling restart through ZooKeeper discovery with the delay but without leaving discovery: "
				+ result);
		// Readiness down and the delay reach no caller that finds the instance through the
		// registry: it is deregistered only after the drain.
		assertThat(result.failed()).as(result.toString()).isGreaterThan(0);
		assertThat(result.succeeded() + result.failed()).isEqualTo(result.sent());
	}

	private Result rollingRestart(boolean enabled) throws Exception {
		return rollingRestart(enabled ? "starter" : "control", enabled);
	}

	private Result rollingRestart(String name, boolean enabled, String... args) throws Exception {
		Process first = startInstance(name + "-a", enabled, args);
		Process second = startInstance(name + "-b", enabled, args);
		awaitRegistered(2);
		this.caller = startCaller();
		LoadBalancerClient loadBalancer = this.caller.getBean(LoadBalancerClient.class);
		Traffic traffic = new Traffic(loadBalancer);
		traffic.start(2);
		try {
			Thread.sleep(2 * CACHE_TTL.toMillis());
			List<Integer> exitCodes = new ArrayList<>();
			int generation = 0;
			for (Process old : List.of(first, second)) {
				generation++;
				// A real SIGTERM, as the platform sends it.
				old.destroy();
				assertThat(old.waitFor(60, TimeUnit.SECONDS)).as("instance exited after SIGTERM").isTrue();
				exitCodes.add(old.exitValue());
				alive.remove(old);
				startInstance(name + "-" + generation + "-new", enabled, args);
				awaitRegistered(2);
				// Let the callers' cache take the new instance in before the next one stops.
				Thread.sleep(3 * CACHE_TTL.toMillis());
			}
			traffic.stop();
			return new Result(traffic.sent.get(), traffic.succeeded.get(), traffic.failed.get(),
					Map.copyOf(traffic.failures), exitCodes);
		}
		finally {
			traffic.stop();
		}
	}

	private ConfigurableApplicationContext startCaller() {
		return new SpringApplicationBuilder(CallerApplication.class).web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.properties(DiscoveredApplication.OWN_CONFIG, "spring.application.name=caller",
					"spring.cloud.zookeeper.connect-string=" + connectString(),
					"spring.cloud.zookeeper.discovery.register=false",
					"spring.cloud.loadbalancer.cache.ttl=" + CACHE_TTL.toMillis() + "ms",
					"spring.cloud.loadbalancer.retry.enabled=false", "graceful.shutdown.enabled=false",
					"eureka.client.enabled=false")
			.run();
	}

	private Process startInstance(String name, boolean enabled, String... args) throws IOException {
		int port = freePort();
		Path log = Path.of("target", "it-logs", "discovery-" + name + ".log");
		Files.createDirectories(log.getParent());
		List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
				"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
				DiscoveredApplication.class.getName(), "--server.port=" + port, "--server.address=127.0.0.1",
				"--spring.application.name=" + SERVICE, "--spring.cloud.zookeeper.connect-string=" + connectString(),
				"--spring.cloud.zookeeper.discovery.instance-host=127.0.0.1",
				"--spring.cloud.zookeeper.discovery.instance-port=" + port, "--spring.main.banner-mode=off",
				"--graceful.shutdown.enabled=" + enabled, "--graceful.shutdown.delay=3s", "--eureka.client.enabled=false"));
		command.addAll(List.of(args));
		Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
		alive.add(process);
		this.instances.add(process);
		return process;
	}

	private void awaitRegistered(int expected) throws InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
		while (ZooKeeperDiscoveryShutdownTests.registered(this.client) != expected) {
			assertThat(alive).as("instances still running").allMatch(Process::isAlive);
			assertThat(System.nanoTime()).as("%d instance(s) registered in ZooKeeper in time", expected)
				.isLessThan(deadline);
			Thread.sleep(50);
		}
	}

	private String connectString() {
		return "127.0.0.1:" + this.zookeeper.getPort();
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	record Result(int sent, int succeeded, int failed, Map<String, Integer> failures, List<Integer> exitCodes) {

		@Override
		public String toString() {
			return this.sent + " call(s) sent, " + this.succeeded + " succeeded, " + this.failed + " failed "
					+ this.failures + ", instance exit codes " + this.exitCodes;
		}

	}

	/**
	 * Steady traffic from callers that choose an instance through Spring Cloud
	 * LoadBalancer for every call and never retry.
	 */
	static final class Traffic {

		private final LoadBalancerClient loadBalancer;

		// POST: the JDK client retries no non-idempotent request on its own.
		private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

		private final AtomicBoolean running = new AtomicBoolean(true);

		private final List<Thread> threads = new ArrayList<>();

		final AtomicInteger sent = new AtomicInteger();

		final AtomicInteger succeeded = new AtomicInteger();

		final AtomicInteger failed = new AtomicInteger();

		final Map<String, Integer> failures = new ConcurrentHashMap<>();

		Traffic(LoadBalancerClient loadBalancer) {
			this.loadBalancer = loadBalancer;
		}

		void start(int callers) {
			for (int i = 0; i < callers; i++) {
				Thread thread = new Thread(this::run, "caller-" + i);
				thread.setDaemon(true);
				thread.start();
				this.threads.add(thread);
			}
		}

		void stop() throws InterruptedException {
			this.running.set(false);
			for (Thread thread : this.threads) {
				thread.join(TimeUnit.SECONDS.toMillis(30));
			}
		}

		private void run() {
			long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
			while (this.running.get() && System.nanoTime() < deadline) {
				this.sent.incrementAndGet();
				String failure = call();
				if (failure == null) {
					this.succeeded.incrementAndGet();
				}
				else {
					this.failed.incrementAndGet();
					this.failures.merge(failure, 1, Integer::sum);
				}
				try {
					Thread.sleep(5);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}

		private String call() {
			ServiceInstance instance = this.loadBalancer.choose(SERVICE);
			if (instance == null) {
				return "no instance";
			}
			URI uri = URI.create("http://127.0.0.1:" + instance.getPort() + "/work");
			try {
				HttpResponse<String> response = this.http.send(
						HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
							.POST(HttpRequest.BodyPublishers.noBody())
							.build(),
						HttpResponse.BodyHandlers.ofString());
				return (response.statusCode() == 200 && response.body().equals("done")) ? null
						: "HTTP " + response.statusCode();
			}
			catch (IOException ex) {
				return ex.getClass().getSimpleName();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return "interrupted";
			}
		}

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class CallerApplication {

	}

}
