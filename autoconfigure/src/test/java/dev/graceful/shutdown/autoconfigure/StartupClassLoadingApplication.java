package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.Map;

import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * Run in a child JVM by {@link StartupClassLoadingTests}, with the JVM's class loading
 * logged: starts a servlet application on Tomcat (server-sent events on the class path,
 * so the streams' hand-off takes part), or with {@code -Dstartup.web=REACTIVE} a reactive
 * one on Reactor Netty, with the arguments as command-line properties; loads
 * {@link Started} to mark the end of the startup in the log, then closes the
 * application, which runs the whole shutdown.
 */
public final class StartupClassLoadingApplication {

	private StartupClassLoadingApplication() {
	}

	public static void main(String[] args) throws Exception {
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
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

	@Configuration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class Application {

	}

}
