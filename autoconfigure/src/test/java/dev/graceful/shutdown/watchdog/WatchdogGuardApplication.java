package dev.graceful.shutdown.watchdog;

import java.util.concurrent.CountDownLatch;

import jakarta.annotation.PreDestroy;

import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Run in a child JVM by {@link WatchdogGuardTests}: an application with a budget of
 * 1 s and a watchdog margin of 200 ms, and something that outlasts both where the
 * watchdog must not halt the JVM. The first argument picks the scenario:
 * <ul>
 * <li>{@code close-in-running-jvm}: the application closes its own context, whose
 * {@code @PreDestroy} takes 3 s, in a JVM that is not exiting; then it prints
 * {@code CLOSED IN RUNNING JVM} and exits with {@code System.exit(0)}.</li>
 * <li>{@code slow-hook-exit}: a JVM shutdown hook of the application's own (not a Spring
 * bean) takes 3 s; the context closes quickly; the application calls
 * {@code System.exit(3)}.</li>
 * <li>{@code slow-hook-sigterm}: the same, but the application prints {@code STARTED}
 * and waits for a SIGTERM.</li>
 * </ul>
 */
public final class WatchdogGuardApplication {

	/** How long the slow part takes: well past the budget plus the margin (1.2 s). */
	static final long SLOW_MILLIS = 3000;

	private WatchdogGuardApplication() {
	}

	public static void main(String[] args) throws Exception {
		String scenario = args[0];
		boolean slowDestroy = scenario.equals("close-in-running-jvm");
		if (!slowDestroy) {
			Runtime.getRuntime().addShutdownHook(new Thread(WatchdogGuardApplication::slowHook, "slow-app-hook"));
		}
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
			.web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			// The budget must exceed delay + tasks timeout + cleanup timeout.
			.properties("graceful.shutdown.timeout=1s", "graceful.shutdown.watchdog.margin=200ms",
					"graceful.shutdown.delay=0s", "graceful.shutdown.tasks.timeout=200ms",
					"graceful.shutdown.cleanup.timeout=200ms", "watchdog-guard.slow-destroy=" + slowDestroy)
			.run();
		System.out.println("STARTED");
		switch (scenario) {
			case "close-in-running-jvm" -> {
				context.close();
				System.out.println("CLOSED IN RUNNING JVM");
				System.exit(0);
			}
			case "slow-hook-exit" -> System.exit(3);
			case "slow-hook-sigterm" -> new CountDownLatch(1).await();
			default -> throw new IllegalArgumentException("Unknown scenario " + scenario);
		}
	}

	private static void slowHook() {
		System.out.println("SLOW HOOK STARTED");
		sleep(SLOW_MILLIS);
		System.out.println("SLOW HOOK DONE");
	}

	private static void sleep(long millis) {
		long end = System.nanoTime() + millis * 1_000_000;
		long remaining;
		while ((remaining = end - System.nanoTime()) > 0) {
			try {
				Thread.sleep(remaining / 1_000_000 + 1);
			}
			catch (InterruptedException ex) {
				// Keep taking the time: the point is to outlast the budget.
			}
		}
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

		@Bean
		SlowResource slowResource(Environment environment) {
			return new SlowResource(environment.getProperty("watchdog-guard.slow-destroy", Boolean.class, false));
		}

	}

	/**
	 * A bean whose {@code @PreDestroy} prints {@code DESTROYED}, after 3 s if slow.
	 */
	static class SlowResource {

		private final boolean slow;

		SlowResource(boolean slow) {
			this.slow = slow;
		}

		@PreDestroy
		void close() {
			if (this.slow) {
				sleep(SLOW_MILLIS);
			}
			System.out.println("DESTROYED");
		}

	}

}
