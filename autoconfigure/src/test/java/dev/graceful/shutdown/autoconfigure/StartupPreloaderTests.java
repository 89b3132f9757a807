package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.netty.util.AttributeKey;
import org.junit.jupiter.api.Test;
import reactor.netty.ConnectionObserver;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.mock.env.MockEnvironment;

import dev.graceful.shutdown.actuate.GracefulShutdownHealthIndicator;
import dev.graceful.shutdown.autoconfigure.StartupPreloader.Facts;
import dev.graceful.shutdown.streams.StreamHandOff;
import dev.graceful.shutdown.streams.reactive.EventStreamHandOffFilter;
import dev.graceful.shutdown.streams.servlet.SseEmitterTracking;
import dev.graceful.shutdown.tasks.ExecutorTracking;
import dev.graceful.shutdown.testsupport.ChildJvm;
import dev.graceful.shutdown.web.DrainMonitor;
import dev.graceful.shutdown.web.reactive.InFlightWebFilter;
import dev.graceful.shutdown.web.reactive.NettyRequestTracking;
import dev.graceful.shutdown.web.servlet.InFlightRequestFilter;
import dev.graceful.shutdown.web.servlet.TomcatRequestCounting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

/**
 * Which classes the {@link StartupPreloader} loads, by the facts that decide the parts.
 * {@link StartupClassLoadingTests} checks them against what applications load.
 */
class StartupPreloaderTests {

	private final ClassLoader classLoader = getClass().getClassLoader();

	@Test
	void everyClassNamedExists() {
		for (WebApplicationType type : WebApplicationType.values()) {
			for (String name : StartupPreloader.classNames(new Facts(type, true, true, true, this.classLoader))) {
				assertThatNoException().as(name).isThrownBy(() -> Class.forName(name, false, this.classLoader));
			}
		}
	}

	@Test
	void propertiesClassesComeFirstEveryNestedOneAmongThem() {
		List<String> properties = new ArrayList<>();
		properties.add(GracefulShutdownProperties.class.getName());
		for (Class<?> nested : GracefulShutdownProperties.class.getDeclaredClasses()) {
			properties.add(nested.getName());
		}
		List<String> names = StartupPreloader.classNames(facts(new MockEnvironment()));
		assertThat(names.subList(0, properties.size())).containsExactlyInAnyOrderElementsOf(properties);
	}

	@Test
	void servletApplicationOnTomcat() {
		List<String> names = StartupPreloader.classNames(facts(new MockEnvironment()));
		assertThat(names).contains(GracefulShutdownProperties.class.getName(), DrainMonitor.class.getName(),
				InFlightRequestFilter.class.getName(), TomcatRequestCounting.class.getName(),
				StreamHandOff.class.getName(), SseEmitterTracking.class.getName(), ExecutorTracking.class.getName(),
				GracefulShutdownHealthIndicator.class.getName())
			.doesNotContain(InFlightWebFilter.class.getName(), NettyRequestTracking.class.getName(),
					EventStreamHandOffFilter.class.getName(), AttributeKey.class.getName(),
					ConnectionObserver.class.getName())
			.doesNotHaveDuplicates();
	}

	@Test
	void reactiveApplicationByItsPropertyOnReactorNetty() {
		MockEnvironment environment = new MockEnvironment().withProperty("spring.main.web-application-type",
				"reactive");
		List<String> names = StartupPreloader.classNames(facts(environment));
		// The Netty and Reactor Netty classes the parts name, as well as the parts'.
		assertThat(names).contains(InFlightWebFilter.class.getName(), NettyRequestTracking.class.getName(),
				EventStreamHandOffFilter.class.getName(), AttributeKey.class.getName(),
				ConnectionObserver.class.getName())
			.doesNotContain(InFlightRequestFilter.class.getName(), TomcatRequestCounting.class.getName(),
					SseEmitterTracking.class.getName())
			.doesNotHaveDuplicates();
	}

	@Test
	void applicationWithoutAWebServerLoadsNoWebPart() {
		MockEnvironment environment = new MockEnvironment().withProperty("spring.main.web-application-type", "none");
		List<String> names = StartupPreloader.classNames(facts(environment));
		assertThat(names).contains(GracefulShutdownProperties.class.getName(), ExecutorTracking.class.getName())
			.doesNotContain(DrainMonitor.class.getName(), InFlightRequestFilter.class.getName(),
					StreamHandOff.class.getName());
	}

	@Test
	void partsTurnedOffAreNotLoaded() {
		MockEnvironment environment = new MockEnvironment()
			.withProperty("graceful.shutdown.web.streams.enabled", "false")
			.withProperty("graceful.shutdown.tasks.track-executors", "false")
			.withProperty("management.health.defaults.enabled", "false");
		List<String> names = StartupPreloader.classNames(facts(environment));
		assertThat(names).contains(DrainMonitor.class.getName())
			.doesNotContain(StreamHandOff.class.getName(), SseEmitterTracking.class.getName(),
					ExecutorTracking.class.getName(), GracefulShutdownHealthIndicator.class.getName());
	}

	@Test
	void healthContributorOnItsOwnPropertyOverTheDefaults() {
		MockEnvironment environment = new MockEnvironment().withProperty("management.health.defaults.enabled", "false")
			.withProperty("management.health.gracefulshutdown.enabled", "true");
		assertThat(StartupPreloader.classNames(facts(environment)))
			.contains(GracefulShutdownHealthIndicator.class.getName());
	}

	/**
	 * A value that cannot be read as the environment is prepared fails the startup, and
	 * Spring Boot awaits the preinitialization before it reports the failure: the
	 * preloader must not then wait out its hand-over timeout. In a child JVM, whose
	 * preloader has not been handed an environment yet.
	 */
	@Test
	void environmentWithAValueThatCannotBeReadStillEndsThePreloadersWait() throws Exception {
		String output = ChildJvm.run(UnreadableValue.class, Duration.ofSeconds(60));
		assertThat(output).contains("FAILED");
		long waited = Long.parseLong(output.replaceAll("(?s).*WAITED (\\d+).*", "$1"));
		assertThat(waited).as("ms the preloader waited (its hand-over timeout: 1000 ms)").isLessThan(500);
	}

	private Facts facts(MockEnvironment environment) {
		SpringApplication application = new SpringApplication();
		application.setWebApplicationType(WebApplicationType.SERVLET);
		return StartupPreloader.facts(environment, application);
	}

	/**
	 * Hands the preloader an environment whose executor tracking setting is not a boolean,
	 * then runs the preloading and prints how long it waited.
	 */
	static final class UnreadableValue {

		public static void main(String[] args) throws Exception {
			MockEnvironment environment = new MockEnvironment()
				.withProperty("graceful.shutdown.tasks.track-executors", "maybe");
			SpringApplication application = new SpringApplication();
			application.setWebApplicationType(WebApplicationType.SERVLET);
			assertThatExceptionOfType(RuntimeException.class)
				.isThrownBy(() -> StartupPreloader.environmentPrepared(true, environment, application));
			System.out.println("FAILED");
			long start = System.nanoTime();
			new StartupPreloader().preinitialize();
			System.out.println("WAITED " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
		}

	}

}
