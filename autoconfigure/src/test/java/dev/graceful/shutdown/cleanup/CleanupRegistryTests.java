package dev.graceful.shutdown.cleanup;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.cleanup.CleanupRegistry.Registration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Tests for {@link CleanupRegistry}.
 */
class CleanupRegistryTests {

	private final CleanupRegistry cleanups = new CleanupRegistry(Duration.ofSeconds(5));

	@Test
	void plannedCleanupsRunInAscendingOrderAndEqualOrdersInReverseRegistration() {
		this.cleanups.register("a", () -> {
		});
		this.cleanups.register("b", 0, null, () -> {
		});
		this.cleanups.register("late", 10, null, () -> {
		});
		this.cleanups.register("early", -10, null, () -> {
		});
		this.cleanups.register("c", () -> {
		});
		assertThat(this.cleanups.planned()).extracting(Registration::name)
			.containsExactly("early", "c", "b", "a", "late");
	}

	@Test
	void claimReturnsThePlanOnceAndThenNothing() {
		this.cleanups.register("first", () -> {
		});
		this.cleanups.register("second", () -> {
		});
		assertThat(this.cleanups.claim()).extracting(Registration::name).containsExactly("second", "first");
		assertThat(this.cleanups.claim()).isEmpty();
		assertThat(this.cleanups.claim()).isEmpty();
	}

	@Test
	void registeringAfterTheCleanupsWereClaimedFailsNamingTheCleanup() {
		this.cleanups.claim();
		assertThatIllegalStateException().isThrownBy(() -> this.cleanups.register("too-late", () -> {
		})).withMessageContaining("'too-late'");
	}

	@Test
	void cleanupWithoutItsOwnTimeoutGetsTheDefault() {
		this.cleanups.register("default", () -> {
		});
		this.cleanups.register("own", 0, Duration.ofMillis(300), () -> {
		});
		assertThat(this.cleanups.planned()).extracting(Registration::name, Registration::timeout)
			.containsExactly(tuple("own", Duration.ofMillis(300)),
					tuple("default", Duration.ofSeconds(5)));
		assertThat(this.cleanups.defaultTimeout()).isEqualTo(Duration.ofSeconds(5));
	}

	@Test
	void zeroOrNegativeTimeoutIsRejected() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.cleanups.register("zero", 0, Duration.ZERO, () -> {
			}))
			.withMessageContaining("'zero'");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> this.cleanups.register("negative", 0, Duration.ofSeconds(-1), () -> {
			}))
			.withMessageContaining("'negative'");
		assertThat(this.cleanups.planned()).isEmpty();
	}

}
