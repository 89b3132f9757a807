package dev.graceful.shutdown.autoconfigure;

import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * Run in a child JVM by {@link StartupClassLoadingTests}, with the JVM's class loading
 * logged: starts a servlet application on Tomcat (server-sent events on the class path,
 * so the streams' hand-off takes part), loads {@link Started} to mark the end of the
 * startup in the log, then closes the application, which runs the whole shutdown.
 */
public final class StartupClassLoadingApplication {

	private StartupClassLoadingApplication() {
	}

	public static void main(String[] args) throws Exception {
		ConfigurableApplicationContext context = new SpringApplicationBuilder(Application.class)
			.web(WebApplicationType.SERVLET)
			.bannerMode(Banner.Mode.OFF)
			.logStartupInfo(false)
			.properties("server.address=127.0.0.1", "server.port=0", "graceful.shutdown.delay=0s",
					"graceful.shutdown.timeout=20s")
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
