package dev.graceful.shutdown.discovery;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.Binder;

/**
 * How long callers may keep sending to the instance after it has left discovery: the
 * caches between the registry and a caller, from the settings in effect (Spring Cloud's
 * own keys, with Spring Cloud's defaults where a key is not set). Callers are assumed to
 * run with the same settings as this application.
 * <ul>
 * <li>Eureka: the server's read-only response cache
 * ({@code eureka.server.response-cache-update-interval-ms}, 30 s unless
 * {@code eureka.server.use-read-only-response-cache=false}), the client's registry fetch
 * ({@code eureka.client.registry-fetch-interval-seconds}, 30 s) and Spring Cloud
 * LoadBalancer's cache.</li>
 * <li>ZooKeeper, Consul and other registries: the registry is asked on each lookup (a
 * ZooKeeper node is gone at once), so only Spring Cloud LoadBalancer's cache
 * ({@code spring.cloud.loadbalancer.cache.ttl}, 35 s, none when
 * {@code spring.cloud.loadbalancer.cache.enabled=false}).</li>
 * </ul>
 */
public final class DiscoveryPropagation {

	static final String LOADBALANCER_CACHE_ENABLED = "spring.cloud.loadbalancer.cache.enabled";

	static final String LOADBALANCER_CACHE_TTL = "spring.cloud.loadbalancer.cache.ttl";

	static final String EUREKA_FETCH_INTERVAL = "eureka.client.registry-fetch-interval-seconds";

	static final String EUREKA_RESPONSE_CACHE = "eureka.server.use-read-only-response-cache";

	static final String EUREKA_RESPONSE_CACHE_INTERVAL = "eureka.server.response-cache-update-interval-ms";

	private static final Duration DEFAULT_LOADBALANCER_TTL = Duration.ofSeconds(35);

	private static final long DEFAULT_EUREKA_FETCH_SECONDS = 30;

	private static final long DEFAULT_EUREKA_RESPONSE_CACHE_MS = 30_000;

	private final Binder binder;

	private final Supplier<List<String>> registrationTypes;

	/**
	 * Create an estimate for the registrations found by the shutdown.
	 * @param binder binds Spring Cloud's settings
	 * @param registrationTypes the class names of the registrations
	 */
	public DiscoveryPropagation(Binder binder, Supplier<List<String>> registrationTypes) {
		this.binder = binder;
		this.registrationTypes = registrationTypes;
	}

	/**
	 * Estimate how long callers may keep sending after deregistration.
	 * @return the estimate, or {@code null} when the application is registered nowhere
	 */
	public @Nullable Estimate estimate() {
		List<String> types = this.registrationTypes.get();
		if (types.isEmpty()) {
			return null;
		}
		String registry = registry(types);
		List<Part> parts = new ArrayList<>();
		if (registry.equals("Eureka")) {
			boolean responseCache = this.binder.bind(EUREKA_RESPONSE_CACHE, Boolean.class).orElse(true);
			if (responseCache) {
				long ms = this.binder.bind(EUREKA_RESPONSE_CACHE_INTERVAL, Long.class)
					.orElse(DEFAULT_EUREKA_RESPONSE_CACHE_MS);
				parts.add(new Part("Eureka server response cache", Duration.ofMillis(ms),
						EUREKA_RESPONSE_CACHE_INTERVAL));
			}
			long seconds = this.binder.bind(EUREKA_FETCH_INTERVAL, Long.class).orElse(DEFAULT_EUREKA_FETCH_SECONDS);
			parts.add(new Part("Eureka client registry fetch", Duration.ofSeconds(seconds), EUREKA_FETCH_INTERVAL));
		}
		boolean cache = this.binder.bind(LOADBALANCER_CACHE_ENABLED, Boolean.class).orElse(true);
		if (cache) {
			Duration ttl = this.binder.bind(LOADBALANCER_CACHE_TTL, Duration.class).orElse(DEFAULT_LOADBALANCER_TTL);
			parts.add(new Part("LoadBalancer cache", ttl, LOADBALANCER_CACHE_TTL));
		}
		return new Estimate(registry, parts);
	}

	/**
	 * Return a warning when the delay ends before callers can have noticed that the
	 * instance left discovery.
	 * @param delay the lame-duck delay in effect
	 * @return the warning, naming the settings, or {@code null} when the delay is long
	 * enough (or the application is registered nowhere)
	 */
	public @Nullable String warning(Duration delay) {
		Estimate estimate = estimate();
		if (estimate == null || delay.compareTo(estimate.total()) >= 0) {
			return null;
		}
		List<String> properties = estimate.parts().stream().map(Part::property).toList();
		return "Graceful shutdown: callers that find this instance through " + estimate.registry()
				+ " may keep sending to it for up to " + estimate.total().toMillis() + " ms after it leaves discovery ("
				+ estimate.describe() + "), longer than graceful.shutdown.delay (" + delay.toMillis()
				+ " ms): raise graceful.shutdown.delay to " + roundUp(estimate.total()).toSeconds() + "s"
				+ " or more, or shorten " + String.join(", ", properties);
	}

	private static Duration roundUp(Duration duration) {
		Duration seconds = duration.truncatedTo(ChronoUnit.SECONDS);
		return seconds.equals(duration) ? seconds : seconds.plusSeconds(1);
	}

	private static String registry(List<String> types) {
		for (String type : types) {
			String lower = type.toLowerCase(Locale.ROOT);
			if (lower.contains("eureka")) {
				return "Eureka";
			}
		}
		for (String type : types) {
			String lower = type.toLowerCase(Locale.ROOT);
			if (lower.contains("zookeeper")) {
				return "ZooKeeper";
			}
			if (lower.contains("consul")) {
				return "Consul";
			}
			if (lower.contains("nacos")) {
				return "Nacos";
			}
		}
		return "service discovery";
	}

	/**
	 * How long callers may keep finding the instance, and why.
	 * @param registry the registry the application is registered in
	 * @param parts the caches in the way, each with the setting that bounds it
	 */
	public record Estimate(String registry, List<Part> parts) {

		/**
		 * Return the total time callers may keep sending.
		 * @return the sum of the parts
		 */
		public Duration total() {
			return this.parts.stream().map(Part::time).reduce(Duration.ZERO, Duration::plus);
		}

		/**
		 * Describe the parts, for a log line.
		 * @return each part with its time and its setting
		 */
		public String describe() {
			if (this.parts.isEmpty()) {
				return "no cache";
			}
			return String.join(" + ", this.parts.stream()
				.map((part) -> part.name() + " " + part.time().toMillis() + " ms (" + part.property() + ")")
				.toList());
		}

	}

	/**
	 * One cache between the registry and a caller.
	 * @param name what the cache is
	 * @param time how long it may hold the instance
	 * @param property the setting that bounds it
	 */
	public record Part(String name, Duration time, String property) {
	}

}
