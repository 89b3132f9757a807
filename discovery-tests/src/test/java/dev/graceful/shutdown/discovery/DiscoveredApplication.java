package dev.graceful.shutdown.discovery;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A service that registers itself in ZooKeeper through Spring Cloud Zookeeper, run in a
 * child JVM by {@link RollingRestartThroughDiscoveryTests} and stopped with SIGTERM.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class DiscoveredApplication {

	public static void main(String[] args) {
		SpringApplication.run(DiscoveredApplication.class, args);
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
