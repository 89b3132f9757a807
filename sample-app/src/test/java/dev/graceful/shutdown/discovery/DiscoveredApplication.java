package dev.graceful.shutdown.discovery;

import java.util.Map;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A service that registers itself in ZooKeeper through Spring Cloud Zookeeper, run in a
 * child JVM by {@link RollingRestartThroughDiscoveryTests} and stopped with SIGTERM.
 * <p>
 * It runs from the sample application's test class path, which also holds the sample's
 * classes and its {@code application.yml}: it scans no package (the sample's beans stay
 * out) and reads no {@code application.yml} ({@link #CONFIG_NAME}), so only the settings
 * its test gives it apply.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class DiscoveredApplication {

	/**
	 * A config name without a file: the applications of the discovery tests read none of
	 * the sample's {@code application.yml} (port 8080, its name, its shutdown settings and
	 * report file), which would otherwise override the tests' default properties.
	 */
	static final String CONFIG_NAME = "discovery-test-application";

	/**
	 * {@link #CONFIG_NAME} as a property for the tests' {@code SpringApplicationBuilder}s.
	 */
	static final String OWN_CONFIG = "spring.config.name=" + CONFIG_NAME;

	public static void main(String[] args) {
		SpringApplication application = new SpringApplication(DiscoveredApplication.class);
		application.setDefaultProperties(Map.of("spring.config.name", CONFIG_NAME));
		application.run(args);
	}

	// A member class of the configuration: registered without scanning.
	@RestController
	static class WorkController {

		@PostMapping("/work")
		String work() throws InterruptedException {
			// Long enough to keep requests in flight when the drain starts.
			Thread.sleep(20);
			return "done";
		}

	}

}
