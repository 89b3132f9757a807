package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.cloud.CloudPlatform;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.mock.env.MockEnvironment;

import dev.graceful.shutdown.timeline.ShutdownPlan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link GracefulShutdownProperties}: the defaults, the checks and the plan.
 */
class GracefulShutdownPropertiesTests {

	private final GracefulShutdownProperties properties = new GracefulShutdownProperties();

	private final MockEnvironment environment = new MockEnvironment().withProperty("spring.main.cloud-platform",
			"none");

	@Test
	void defaultsToNoDelayNoQuietPeriodAndConnectionClose() {
		ShutdownPlan plan = plan();
		assertThat(plan.delay()).isZero();
		assertThat(plan.quietPeriod()).isNull();
		assertThat(this.properties.getWeb().isConnectionClose()).isTrue();
	}

	@Test
	void defaultsToTenSecondDelayOnKubernetes() {
		this.environment.setProperty("spring.main.cloud-platform", "kubernetes");
		assertThat(plan().delay()).isEqualTo(GracefulShutdownProperties.KUBERNETES_DEFAULT_DELAY)
			.isEqualTo(Duration.ofSeconds(10));
	}

	@Test
	void detectsKubernetesFromServiceEnvironmentVariables() {
		this.environment.getPropertySources().remove("mockProperties");
		this.environment.getPropertySources()
			.addFirst(new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
					Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1", "KUBERNETES_SERVICE_PORT", "443")));
		assertThat(plan().delay()).isEqualTo(Duration.ofSeconds(10));
	}

	@Test
	void explicitDelayWinsOnKubernetes() {
		this.environment.setProperty("spring.main.cloud-platform", "kubernetes");
		this.properties.setDelay(Duration.ofSeconds(12));
		assertThat(plan().delay()).isEqualTo(Duration.ofSeconds(12));
	}

	@Test
	void quietPeriodEqualToDelayIsAccepted() {
		this.properties.setDelay(Duration.ofSeconds(2));
		this.properties.setQuietPeriod(Duration.ofSeconds(2));
		assertThat(plan().quietPeriod()).isEqualTo(Duration.ofSeconds(2));
	}

	@Test
	void quietPeriodWithinKubernetesDefaultDelayIsAccepted() {
		this.environment.setProperty("spring.main.cloud-platform", "kubernetes");
		this.properties.setQuietPeriod(Duration.ofSeconds(2));
		ShutdownPlan plan = plan();
		assertThat(plan.delay()).isEqualTo(Duration.ofSeconds(10));
		assertThat(plan.quietPeriod()).isEqualTo(Duration.ofSeconds(2));
	}

	@Test
	void negativeDelayIsRejected() {
		this.properties.setDelay(Duration.ofSeconds(-1));
		assertThatExceptionOfType(InvalidShutdownPropertyException.class).isThrownBy(this::plan)
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("graceful.shutdown.delay"))
			.withMessageContaining("graceful.shutdown.delay")
			.withMessageContaining("negative");
	}

	@Test
	void zeroQuietPeriodIsRejected() {
		this.properties.setDelay(Duration.ofSeconds(5));
		this.properties.setQuietPeriod(Duration.ZERO);
		assertThatExceptionOfType(InvalidShutdownPropertyException.class).isThrownBy(this::plan)
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("graceful.shutdown.quiet-period"))
			.withMessageContaining("not positive");
	}

	@Test
	void negativeQuietPeriodIsRejected() {
		this.properties.setDelay(Duration.ofSeconds(5));
		this.properties.setQuietPeriod(Duration.ofMillis(-500));
		assertThatExceptionOfType(InvalidShutdownPropertyException.class).isThrownBy(this::plan)
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("graceful.shutdown.quiet-period"));
	}

	@Test
	void quietPeriodLongerThanDelayIsRejected() {
		this.properties.setDelay(Duration.ofSeconds(1));
		this.properties.setQuietPeriod(Duration.ofSeconds(2));
		assertThatExceptionOfType(InvalidShutdownPropertyException.class).isThrownBy(this::plan)
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("graceful.shutdown.quiet-period"))
			.withMessageContaining("longer than graceful.shutdown.delay");
	}

	@Test
	void quietPeriodLongerThanKubernetesDefaultDelayIsRejected() {
		this.environment.setProperty("spring.main.cloud-platform", "kubernetes");
		this.properties.setQuietPeriod(Duration.ofSeconds(15));
		assertThatExceptionOfType(InvalidShutdownPropertyException.class).isThrownBy(this::plan)
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("graceful.shutdown.quiet-period"))
			.withMessageContaining("longer than graceful.shutdown.delay");
	}

	private ShutdownPlan plan() {
		CloudPlatform platform = CloudPlatform.getActive(this.environment);
		this.properties.check(platform);
		return this.properties.plan(platform, Duration.ofSeconds(30));
	}

}
