package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Offline checks of the Kubernetes manifests in {@code sample-app/k8s}: they parse, the
 * probes hit the Actuator health groups, the grace period covers the shutdown budget the
 * sample configures, the environment variables bind to real properties, and the service
 * selects the deployment's pods.
 */
class KubernetesManifestsTests {

	private static final Path K8S = Path.of("k8s");

	@Test
	void probesUseTheActuatorHealthGroupsAndNoPreStopHookIsNeeded() throws IOException {
		Map<String, Object> container = container();
		assertThat(at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
		assertThat(at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
		assertThat(container).doesNotContainKey("lifecycle");
	}

	@Test
	void gracePeriodCoversTheShutdownBudgetAndWatchdogMargin() throws IOException {
		Map<String, Object> settings = applicationSettings();
		Duration budget = Duration.parse("PT" + at(settings, "graceful", "shutdown", "timeout").toString().toUpperCase());
		Duration margin = Duration
			.parse("PT" + at(settings, "graceful", "shutdown", "watchdog", "margin").toString().toUpperCase());
		Object gracePeriod = at(deployment(), "spec", "template", "spec", "terminationGracePeriodSeconds");
		assertThat(((Number) gracePeriod).longValue()).isGreaterThanOrEqualTo(budget.plus(margin).toSeconds());
	}

	@Test
	void environmentVariablesBindToTheStarterProperties() throws IOException {
		Map<String, Object> env = new HashMap<>();
		for (Object variable : (List<?>) container().get("env")) {
			Map<?, ?> entry = (Map<?, ?>) variable;
			env.put((String) entry.get("name"), entry.get("value"));
		}
		StandardEnvironment environment = new StandardEnvironment();
		MutablePropertySources sources = environment.getPropertySources();
		sources.addFirst(new SystemEnvironmentPropertySource("k8s-" + StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env));
		Binder binder = Binder.get(environment);
		assertThat(binder.bind("graceful.shutdown.delay", Duration.class).get()).isEqualTo(Duration.ofSeconds(10));
		assertThat(binder.bind("graceful.shutdown.quiet-period", Duration.class).get())
			.isEqualTo(Duration.ofSeconds(3));
	}

	@Test
	void serviceSelectsTheDeploymentPodsOnTheirNamedPort() throws IOException {
		Map<String, Object> service = load("service.yaml");
		Map<Object, Object> selector = castMap((Map<?, ?>) at(service, "spec", "selector"));
		Map<Object, Object> labels = castMap((Map<?, ?>) at(deployment(), "spec", "template", "metadata", "labels"));
		assertThat(selector).isNotEmpty();
		assertThat(labels).containsAllEntriesOf(selector);
		Map<?, ?> port = (Map<?, ?>) ((List<?>) at(service, "spec", "ports")).get(0);
		List<Object> portNames = ((List<?>) container().get("ports")).stream()
			.map((containerPort) -> ((Map<?, ?>) containerPort).get("name"))
			.map(Object.class::cast)
			.toList();
		assertThat(portNames).contains(port.get("targetPort"));
	}

	@SuppressWarnings("unchecked")
	private static Map<Object, Object> castMap(Map<?, ?> map) {
		return (Map<Object, Object>) map;
	}

	private static Map<String, Object> deployment() throws IOException {
		Map<String, Object> deployment = load("deployment.yaml");
		assertThat(deployment.get("kind")).isEqualTo("Deployment");
		return deployment;
	}

	@SuppressWarnings("unchecked")
	private static Map<String, Object> container() throws IOException {
		List<?> containers = (List<?>) at(deployment(), "spec", "template", "spec", "containers");
		assertThat(containers).hasSize(1);
		return (Map<String, Object>) containers.get(0);
	}

	private static Map<String, Object> applicationSettings() throws IOException {
		try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.yml"))) {
			return new Yaml().load(in);
		}
	}

	private static Map<String, Object> load(String name) throws IOException {
		try (InputStream in = Files.newInputStream(K8S.resolve(name))) {
			return new Yaml().load(in);
		}
	}

	private static Object at(Map<?, ?> map, String... path) {
		Object current = map;
		for (String key : path) {
			assertThat(current).as("parent of '%s'", key).isInstanceOf(Map.class);
			current = ((Map<?, ?>) current).get(key);
			assertThat(current).as("'%s' in %s", key, String.join(".", path)).isNotNull();
		}
		return current;
	}

}
