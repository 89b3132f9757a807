package dev.graceful.shutdown.discovery;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link DiscoveryPropagation}.
 */
class DiscoveryPropagationTests {

	private static final List<String> EUREKA = List
		.of("org.springframework.cloud.netflix.eureka.serviceregistry.EurekaRegistration");

	private static final List<String> ZOOKEEPER = List
		.of("org.springframework.cloud.zookeeper.serviceregistry.ZookeeperAutoServiceRegistration");

	@Test
	void eurekaWithDefaultsAddsServerCacheClientFetchAndLoadBalancerCache() {
		DiscoveryPropagation.Estimate estimate = propagation(EUREKA, Map.of()).estimate();

		assertThat(estimate.registry()).isEqualTo("Eureka");
		assertThat(estimate.total()).isEqualTo(Duration.ofSeconds(95));
		assertThat(estimate.parts()).extracting(DiscoveryPropagation.Part::property)
			.containsExactly("eureka.server.response-cache-update-interval-ms",
					"eureka.client.registry-fetch-interval-seconds", "spring.cloud.loadbalancer.cache.ttl");
	}

	@Test
	void delayShorterThanThePropagationIsWarnedAboutNamingTheSettings() {
		String warning = propagation(EUREKA, Map.of()).warning(Duration.ofSeconds(10));

		assertThat(warning).isEqualTo("Graceful shutdown: callers that find this instance through Eureka may keep"
				+ " sending to it for up to 95000 ms after it leaves discovery (Eureka server response cache 30000 ms"
				+ " (eureka.server.response-cache-update-interval-ms) + Eureka client registry fetch 30000 ms"
				+ " (eureka.client.registry-fetch-interval-seconds) + LoadBalancer cache 35000 ms"
				+ " (spring.cloud.loadbalancer.cache.ttl)), longer than graceful.shutdown.delay (10000 ms): raise"
				+ " graceful.shutdown.delay to 95s or more, or shorten eureka.server.response-cache-update-interval-ms,"
				+ " eureka.client.registry-fetch-interval-seconds, spring.cloud.loadbalancer.cache.ttl");
	}

	@Test
	void delayThatCoversThePropagationIsNotWarnedAbout() {
		assertThat(propagation(EUREKA, Map.of()).warning(Duration.ofSeconds(95))).isNull();
	}

	@Test
	void shortenedEurekaSettingsShortenThePropagation() {
		DiscoveryPropagation propagation = propagation(EUREKA,
				Map.of("eureka.server.response-cache-update-interval-ms", "3000",
						"eureka.client.registry-fetch-interval-seconds", "5", "spring.cloud.loadbalancer.cache.ttl",
						"2s"));

		assertThat(propagation.estimate().total()).isEqualTo(Duration.ofSeconds(10));
		assertThat(propagation.warning(Duration.ofSeconds(10))).isNull();
		assertThat(propagation.warning(Duration.ofSeconds(9))).contains("raise graceful.shutdown.delay to 10s");
	}

	@Test
	void eurekaServerWithoutReadOnlyCacheAddsNoServerCache() {
		DiscoveryPropagation propagation = propagation(EUREKA,
				Map.of("eureka.server.use-read-only-response-cache", "false"));

		assertThat(propagation.estimate().total()).isEqualTo(Duration.ofSeconds(65));
	}

	@Test
	void zooKeeperIsAskedOnEachLookupSoOnlyTheLoadBalancerCacheCounts() {
		DiscoveryPropagation.Estimate estimate = propagation(ZOOKEEPER,
				Map.of("spring.cloud.loadbalancer.cache.ttl", "4s"))
			.estimate();

		assertThat(estimate.registry()).isEqualTo("ZooKeeper");
		assertThat(estimate.total()).isEqualTo(Duration.ofSeconds(4));
		assertThat(estimate.describe()).isEqualTo("LoadBalancer cache 4000 ms (spring.cloud.loadbalancer.cache.ttl)");
	}

	@Test
	void loadBalancerWithoutCacheLeavesNothingToWaitFor() {
		DiscoveryPropagation propagation = propagation(ZOOKEEPER,
				Map.of("spring.cloud.loadbalancer.cache.enabled", "false"));

		assertThat(propagation.estimate().total()).isZero();
		assertThat(propagation.estimate().describe()).isEqualTo("no cache");
		assertThat(propagation.warning(Duration.ZERO)).isNull();
	}

	@Test
	void applicationRegisteredNowhereHasNoEstimateAndNoWarning() {
		DiscoveryPropagation propagation = propagation(List.of(), Map.of());

		assertThat(propagation.estimate()).isNull();
		assertThat(propagation.warning(Duration.ZERO)).isNull();
	}

	private static DiscoveryPropagation propagation(List<String> types, Map<String, String> properties) {
		return new DiscoveryPropagation(new Binder(new MapConfigurationPropertySource(properties)), () -> types);
	}

}
