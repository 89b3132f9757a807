package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.Map;

import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationPreparedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * Run in a child JVM by {@link StartupClassLoadingTests}, with the JVM's class loading
 * logged: starts a servlet application on Tomcat (server-sent events on the class path,
 * so the streams' hand-off takes part), or with {@code -Dstartup.web=REACTIVE} a reactive
 * one on Reactor Netty, with the arguments as command-line properties; loads
 * {@link Started} to mark the end of the startup in the log, then closes the
 * application, which runs the whole shutdown. With {@code -Dstartup.await-preinit=true}
 * the main thread waits, once the application is prepared, for Spring Boot's background
 * preinitialization to end, as it has by then on a machine with a processor to spare:
 * which classes that thread loaded then does not depend on how busy the machine is.
 */
public final class StartupClassLoadingApplication {

	private StartupClassLoadingApplication() {
	}

	public static void main(String[] args) throws Exception {
		SpringApplicationBuilder builder = new SpringApplicationBuilder(Application.class);
		if (Boolean.getBoolean("startup.await-preinit")) {
			builder.listeners(new AwaitPreinitialization());
		}
		ConfigurableApplicationContext context = builder
			.web(WebApplicationType.valueOf(System.getProperty("startup.web", "SERVLET")))
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			// Durations as objects: text would load Spring Boot's duration parser.
			.properties(Map.of("server.address", "127.0.0.1", "server.port", 0, "graceful.shutdown.delay",
					Duration.ZERO, "graceful.shutdown.timeout", Duration.ofSeconds(20)))
			.run(args);
		Class.forName(Started.class.getName());
		System.out.println("STARTED");
		context.close();
		System.out.println("CLOSED");
	}

	/**
	 * Loaded once the application has started: what the log shows before it loaded
	 * during the startup.
	 */
	static final class Started {

	}

	/**
	 * Waits for Spring Boot's background preinitialization thread to end.
	 */
	static final class AwaitPreinitialization implements ApplicationListener<ApplicationPreparedEvent> {

		@Override
		public void onApplicationEvent(ApplicationPreparedEvent event) {
			for (Thread thread : Thread.getAllStackTraces().keySet()) {
				if (thread.getName().equals("background-preinit")) {
					try {
						thread.join(Duration.ofSeconds(30).toMillis());
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
				}
			}
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

	}

}
