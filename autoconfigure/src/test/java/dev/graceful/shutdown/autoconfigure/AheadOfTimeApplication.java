package dev.graceful.shutdown.autoconfigure;

import java.util.Map;

import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.graceful.shutdown.OnShutdown;

/**
 * Processed ahead of time, then run from what the processing generated, in child JVMs by
 * {@link AheadOfTimeTests}: a servlet application on Tomcat with a 2 s lame-duck delay, a
 * controller and an {@code @OnShutdown} cleanup. Prints its port once its server listens,
 * and {@code CLEANUP resource.close} when the cleanup runs.
 */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class AheadOfTimeApplication {

	public static void main(String[] args) {
		SpringApplication application = new SpringApplication(AheadOfTimeApplication.class);
		application.setWebApplicationType(WebApplicationType.SERVLET);
		application.setBannerMode(Banner.Mode.OFF);
		application.setDefaultProperties(Map.of("server.address", "127.0.0.1", "server.port", "0",
				"graceful.shutdown.delay", "2s", "graceful.shutdown.timeout", "20s"));
		application.run(args);
	}

	@Bean
	static ApplicationListener<WebServerInitializedEvent> portPrinter() {
		return (event) -> System.out.println("PORT " + event.getWebServer().getPort());
	}

	@Bean
	Resource resource() {
		return new Resource();
	}

	/**
	 * Registered as a member class of the configuration.
	 */
	@RestController
	static class Hello {

		@GetMapping("/hello")
		String hello() {
			return "hello";
		}

	}

	static class Resource {

		@OnShutdown(name = "resource.close")
		void close() {
			System.out.println("CLEANUP resource.close");
		}

	}

}
