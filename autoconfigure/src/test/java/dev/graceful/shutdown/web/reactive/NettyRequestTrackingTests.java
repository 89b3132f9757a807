package dev.graceful.shutdown.web.reactive;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.web.RequestTracker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the request paths that {@link NettyRequestTracking} matches against the quiet
 * period's ignored paths. The channel handler itself is tested on a real server in
 * {@link ReactiveGracefulShutdownTests}.
 */
class NettyRequestTrackingTests {

	private static NettyRequestTracking tracking(String basePath) {
		ShutdownRecorder progress = new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30)));
		return new NettyRequestTracking(progress, new RequestTracker(progress, List.of()), true, basePath);
	}

	@Test
	void pathWithinApplicationIsTheRequestTargetsPathWithoutQueryOrFragment() {
		NettyRequestTracking tracking = tracking("");
		assertThat(tracking.pathWithinApplication("/actuator/health/readiness")).isEqualTo("/actuator/health/readiness");
		assertThat(tracking.pathWithinApplication("/actuator/health?probe=1")).isEqualTo("/actuator/health");
		assertThat(tracking.pathWithinApplication("/work#top")).isEqualTo("/work");
		assertThat(tracking.pathWithinApplication("/")).isEqualTo("/");
		assertThat(tracking.pathWithinApplication("/?a=b")).isEqualTo("/");
	}

	@Test
	void absoluteFormRequestTargetLosesSchemeAndAuthority() {
		NettyRequestTracking tracking = tracking("");
		assertThat(tracking.pathWithinApplication("http://127.0.0.1:8080/actuator/health?x=1"))
			.isEqualTo("/actuator/health");
		assertThat(tracking.pathWithinApplication("http://127.0.0.1:8080")).isEqualTo("/");
		assertThat(tracking.pathWithinApplication("*")).isEqualTo("/");
	}

	@Test
	void webFluxBasePathIsStrippedOnlyAsAWholeSegment() {
		NettyRequestTracking tracking = tracking("/api");
		assertThat(tracking.pathWithinApplication("/api/actuator/health")).isEqualTo("/actuator/health");
		assertThat(tracking.pathWithinApplication("/api?x=1")).isEqualTo("/");
		assertThat(tracking.pathWithinApplication("/api")).isEqualTo("/");
		assertThat(tracking.pathWithinApplication("/apiary/actuator/health")).isEqualTo("/apiary/actuator/health");
		assertThat(tracking.pathWithinApplication("/other/actuator/health")).isEqualTo("/other/actuator/health");
		assertThat(tracking.pathWithinApplication("http://localhost/api/actuator/health"))
			.isEqualTo("/actuator/health");
	}

	@Test
	void basePathIsNormalized() {
		assertThat(tracking("api/").pathWithinApplication("/api/x")).isEqualTo("/x");
		assertThat(tracking(" /api// ").pathWithinApplication("/api/x")).isEqualTo("/x");
		assertThat(tracking("/").pathWithinApplication("/x")).isEqualTo("/x");
	}

}
