package dev.graceful.shutdown.actuate;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import dev.graceful.shutdown.OnShutdown;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gracefulshutdown} as a JMX MBean operation, which keeps answering after the web
 * server has stopped: during the cleanups, for instance.
 */
@Timeout(120)
class GracefulShutdownEndpointJmxTests {

	private final CountDownLatch releaseCleanup = new CountDownLatch(1);

	private ConfigurableApplicationContext context;

	private Thread closer;

	@AfterEach
	void closeContext() throws InterruptedException {
		this.releaseCleanup.countDown();
		if (this.closer != null) {
			this.closer.join(60_000);
		}
		if (this.context != null) {
			this.context.close();
		}
	}

	@Test
	void operationShowsRunningStateThenTheCleanupUnderWay() throws Exception {
		this.context = new SpringApplicationBuilder(TestApplication.class).web(WebApplicationType.NONE)
			.properties("spring.main.banner-mode=off", "spring.jmx.enabled=true", "spring.jmx.unique-names=true",
					"management.endpoints.jmx.exposure.include=gracefulshutdown")
			.initializers((context) -> context.getBeanFactory().registerSingleton("releaseCleanup", this.releaseCleanup))
			.registerShutdownHook(false)
			.run();
		MBeanServer server = ManagementFactory.getPlatformMBeanServer();
		ObjectName name = endpointName(server);

		Map<String, Object> running = read(server, name);
		this.closer = new Thread(this.context::close, "test-context-closer");
		this.closer.start();
		// The step starts a moment before its first cleanup does.
		Map<String, Object> duringCleanup = awaitAnswer(server, name,
				(answer) -> "cleanup".equals(answer.get("step")) && answer.get("activity") != null);

		assertThat(running).containsEntry("state", "RUNNING").doesNotContainKey("report");
		assertThat(list(map(running.get("plan"))
			.get("cleanups"))).extracting((cleanup) -> cleanup.get("name")).containsExactly("blocking");
		assertThat(duringCleanup).containsEntry("state", "SHUTTING_DOWN")
			.containsEntry("step", "cleanup")
			.containsEntry("activity", "cleanup 'blocking'");
		assertThat(list(map(duringCleanup.get("report"))
			.get("phases"))).extracting((phase) -> phase.get("name")).containsExactly("readiness", "tasks");
		this.releaseCleanup.countDown();
		this.closer.join(TimeUnit.SECONDS.toMillis(60));
		assertThat(this.closer.isAlive()).isFalse();
		assertThat(server.queryNames(name, null)).as("unregistered once the context is closed").isEmpty();
	}

	private static ObjectName endpointName(MBeanServer server) throws Exception {
		Set<ObjectName> names = server.queryNames(new ObjectName("*:type=Endpoint,name=Gracefulshutdown,*"), null);
		assertThat(names).hasSize(1);
		return names.iterator().next();
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> read(MBeanServer server, ObjectName name) throws Exception {
		return (Map<String, Object>) server.invoke(name, "shutdown", new Object[0], new String[0]);
	}

	private static Map<String, Object> awaitAnswer(MBeanServer server, ObjectName name,
			Predicate<Map<String, Object>> condition) throws Exception {
		long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
		Map<String, Object> last = null;
		while (System.nanoTime() - deadline < 0) {
			last = read(server, name);
			if (condition.test(last)) {
				return last;
			}
			Thread.sleep(20);
		}
		throw new AssertionError("Answer awaited never seen; last answer: " + last);
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> map(Object value) {
		return (Map<String, Object>) value;
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> list(Object value) {
		return (List<Map<String, Object>>) value;
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class TestApplication {

		@Bean
		BlockingCleanup blockingCleanup(CountDownLatch releaseCleanup) {
			return new BlockingCleanup(releaseCleanup);
		}

	}

	static class BlockingCleanup {

		private final CountDownLatch release;

		BlockingCleanup(CountDownLatch release) {
			this.release = release;
		}

		@OnShutdown(name = "blocking", timeout = "60s")
		void waitForTheTest() throws InterruptedException {
			this.release.await();
		}

	}

}
