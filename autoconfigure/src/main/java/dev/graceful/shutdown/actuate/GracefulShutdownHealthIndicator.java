package dev.graceful.shutdown.actuate;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import dev.graceful.shutdown.ShutdownProgress;

/**
 * The {@code gracefulShutdown} health contributor: always {@code UP} (a shutting-down
 * instance is not broken: readiness, not health, takes it out of rotation, and liveness
 * must not restart it), with the state, the current step and the elapsed time in its
 * details.
 */
public final class GracefulShutdownHealthIndicator implements HealthIndicator {

	private final ShutdownProgress progress;

	public GracefulShutdownHealthIndicator(ShutdownProgress progress) {
		this.progress = progress;
	}

	@Override
	public Health health() {
		Health.Builder builder = Health.up()
			.withDetail("state", this.progress.state().name());
		if (this.progress.isShuttingDown()) {
			String step = this.progress.currentStep();
			if (step != null) {
				builder.withDetail("step", step);
			}
			builder.withDetail("elapsedMs", this.progress.elapsed().toMillis());
		}
		return builder.build();
	}

}
