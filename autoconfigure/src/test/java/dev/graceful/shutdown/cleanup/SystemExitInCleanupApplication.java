package dev.graceful.shutdown.cleanup;

import java.time.Duration;

import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

import dev.graceful.shutdown.ShutdownCleanups;
import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * Run in a child JVM by {@link SystemExitInCleanupTests}: starts an application with a
 * cleanup that calls {@code System.exit(3)}, then exits the JVM itself so that the
 * shutdown hooks close the context. Prints one line per cleanup and one when the
 * shutdown is complete.
 */
public final class SystemExitInCleanupApplication {

	private SystemExitInCleanupApplication() {
	}

	public static void main(String[] args) {
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
			.web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			.properties("graceful.shutdown.timeout=20s")
			.run(args);
		context.getBean(ShutdownRecorder.class).addListener(new ShutdownListener() {

			@Override
			public void cleanupEnded(ShutdownReport.Cleanup cleanup) {
				System.out.println("CLEANUP " + cleanup.name() + " " + cleanup.outcome() + " " + cleanup.error());
			}

			@Override
			public void shutdownCompleted(ShutdownReport report) {
				System.out.println("SHUTDOWN COMPLETE");
			}

		});
		ShutdownCleanups cleanups = context.getBean(ShutdownCleanups.class);
		cleanups.register("exits", 1, Duration.ofSeconds(2), () -> System.exit(3));
		cleanups.register("after-exit", 2, null, () -> System.out.println("AFTER EXIT RAN"));
		System.out.println("STARTED");
		System.exit(0);
	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

	}

}
