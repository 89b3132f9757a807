package dev.graceful.shutdown.timeline;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ShutdownBudget}: what is left of {@code graceful.shutdown.timeout} caps each
 * step's own timeout, less what the later steps reserve.
 */
class ShutdownBudgetTests {

	private final ShutdownBudget budget = new ShutdownBudget(Duration.ofSeconds(30));

	private final ShutdownRecorder progress = new ShutdownRecorder(this.budget);

	@Test
	void wholeBudgetRemainsUntilTheShutdownStarts() {
		assertThat(this.budget.total()).isEqualTo(Duration.ofSeconds(30));
		assertThat(this.budget.remaining()).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void ownTimeoutThatFitsInWhatIsLeftIsKept() {
		assertThat(this.budget.cap(Duration.ofSeconds(10), Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(10));
		assertThat(this.budget.cap(Duration.ofSeconds(15), Duration.ofSeconds(15))).isEqualTo(Duration.ofSeconds(15));
	}

	@Test
	void ownTimeoutLongerThanWhatIsLeftAfterTheReserveIsCut() {
		assertThat(this.budget.cap(Duration.ofSeconds(30), Duration.ofSeconds(12))).isEqualTo(Duration.ofSeconds(18));
		assertThat(this.budget.cap(Duration.ofMinutes(5), Duration.ZERO)).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void reserveLargerThanWhatIsLeftLeavesNothing() {
		assertThat(this.budget.cap(Duration.ofSeconds(1), Duration.ofSeconds(31))).isZero();
		assertThat(this.budget.cap(Duration.ofSeconds(1), Duration.ofSeconds(30))).isZero();
	}

	@Test
	void remainingShrinksFromTheStartOfTheShutdown() throws InterruptedException {
		this.progress.begin();
		Thread.sleep(200);

		Duration remaining = this.budget.remaining();

		assertThat(remaining).isLessThanOrEqualTo(Duration.ofMillis(29_800)).isPositive();
		assertThat(this.budget.cap(Duration.ofSeconds(30), Duration.ZERO)).isLessThanOrEqualTo(remaining);
		assertThat(this.budget.cap(Duration.ofSeconds(1), Duration.ZERO)).isEqualTo(Duration.ofSeconds(1));
	}

	@Test
	void clockStartsAtTheEarlierOfTheJvmExitAndTheContextClose() throws InterruptedException {
		long exit = System.nanoTime();
		this.budget.startClock(exit);
		Thread.sleep(50);
		this.progress.begin();

		assertThat(this.budget.startNanos()).isEqualTo(exit);
		this.budget.startClock(exit - 1_000_000_000L);
		assertThat(this.budget.startNanos()).isEqualTo(exit - 1_000_000_000L);
		assertThat(this.budget.remaining()).isLessThanOrEqualTo(Duration.ofSeconds(29));
	}

	@Test
	void spentBudgetCapsEveryStepToZeroAndNeverGoesNegative() throws InterruptedException {
		ShutdownBudget small = new ShutdownBudget(Duration.ofMillis(50));
		new ShutdownRecorder(small).begin();
		Thread.sleep(100);

		assertThat(small.remaining()).isZero();
		assertThat(small.cap(Duration.ofSeconds(5), Duration.ZERO)).isZero();
		assertThat(small.cap(Duration.ofSeconds(5), Duration.ofSeconds(1))).isZero();
	}

}
