package dev.graceful.shutdown;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.tasks.WorkRegistry;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link WorkTracker}.
 */
class WorkTrackerTests {

	private final ShutdownRecorder progress = new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30)));

	private final WorkRegistry tracker = new WorkRegistry(this.progress);

	private final List<Thread> threads = new CopyOnWriteArrayList<>();

	@AfterEach
	void stopThreads() throws InterruptedException {
		Thread.interrupted();
		for (Thread thread : this.threads) {
			thread.interrupt();
			thread.join(5000);
		}
	}

	@Test
	void startedWorkIsActiveUntilClosedAndThenCountedAsFinished() {
		WorkTracker.Work first = this.tracker.start("first");
		WorkTracker.Work second = this.tracker.start("second");
		assertThat(this.tracker.active()).extracting(WorkTracker.Work::name)
			.containsExactlyInAnyOrder("first", "second");
		assertThat(this.tracker.finishedCount()).isZero();
		first.close();
		assertThat(this.tracker.active()).extracting(WorkTracker.Work::name).containsExactly("second");
		assertThat(this.tracker.finishedCount()).isEqualTo(1);
		second.close();
		assertThat(this.tracker.active()).isEmpty();
		assertThat(this.tracker.finishedCount()).isEqualTo(2);
	}

	@Test
	void closingWorkTwiceCountsItOnce() {
		WorkTracker.Work work = this.tracker.start("import");
		WorkTracker.Work other = this.tracker.start("export");
		work.close();
		work.close();
		assertThat(this.tracker.finishedCount()).isEqualTo(1);
		assertThat(this.tracker.active()).containsExactly(other);
	}

	@Test
	void workRecordsTheThreadThatStartedIt() {
		try (WorkTracker.Work work = this.tracker.start("import")) {
			assertThat(work.thread()).isSameAs(Thread.currentThread());
			assertThat(work.runningFor().isNegative()).isFalse();
			assertThat(work.shouldStop()).isFalse();
		}
	}

	@Test
	void handedOffWorkIsActiveBeforeItsThreadBeginsItAndCountedOnceItCloses() throws InterruptedException {
		WorkTracker.Work work = this.tracker.handOff(() -> "mail");
		assertThat(this.tracker.active()).containsExactly(work);
		assertThat(work.hasBegun()).isFalse();
		assertThat(work.thread()).isNull();
		assertThat(this.tracker.awaitIdle(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50))).isFalse();
		AtomicReference<Thread> ranOn = new AtomicReference<>();
		Thread thread = new Thread(() -> {
			try (work) {
				if (work.begin()) {
					ranOn.set(Thread.currentThread());
				}
			}
		});
		thread.start();
		thread.join(5000);
		assertThat(ranOn.get()).isSameAs(thread);
		assertThat(work.thread()).isSameAs(thread);
		assertThat(this.tracker.active()).isEmpty();
		assertThat(this.tracker.finishedCount()).isEqualTo(1);
		assertThat(this.tracker.droppedCount()).isZero();
	}

	@Test
	void handedOffWorkReachedAfterTheCancelIsDroppedAndCountedOnce() {
		WorkTracker.Work work = this.tracker.handOff(() -> "mail");
		this.tracker.cancel();
		assertThat(Thread.interrupted()).isFalse();
		assertThat(work.begin()).isFalse();
		work.close();
		assertThat(this.tracker.active()).isEmpty();
		assertThat(this.tracker.finishedCount()).isZero();
		assertThat(this.tracker.droppedCount()).isEqualTo(1);
	}

	@Test
	void dropNotBegunCountsWaitingHandOffsOnceAndTheirThreadsThenDropThem() {
		WorkTracker.Work waiting = this.tracker.handOff(() -> "mail");
		WorkTracker.Work begun = this.tracker.handOff(() -> "report");
		assertThat(begun.begin()).isTrue();
		this.tracker.cancel();
		assertThat(Thread.interrupted()).isTrue();
		assertThat(this.tracker.dropNotBegun()).isEqualTo(1);
		assertThat(this.tracker.dropNotBegun()).isEqualTo(1);
		assertThat(waiting.begin()).isFalse();
		assertThat(this.tracker.droppedCount()).isEqualTo(1);
		assertThat(this.tracker.active()).containsExactly(begun);
		begun.close();
		assertThat(this.tracker.finishedCount()).isEqualTo(1);
	}

	@Test
	void handedOffWorkClosedWithoutBeginningIsCountedAsDropped() {
		this.tracker.handOff(() -> "mail").close();
		assertThat(this.tracker.active()).isEmpty();
		assertThat(this.tracker.finishedCount()).isZero();
		assertThat(this.tracker.droppedCount()).isEqualTo(1);
	}

	@Test
	void beginningWorkTwiceIsRefused() {
		WorkTracker.Work work = this.tracker.handOff(() -> "mail");
		assertThat(work.begin()).isTrue();
		assertThatIllegalStateException().isThrownBy(work::begin).withMessage("Work 'mail' has already begun");
		assertThatIllegalStateException().isThrownBy(this.tracker.start("import")::begin)
			.withMessage("Work 'import' has already begun");
	}

	@Test
	void everyUnitIsCountedByTheTimeAwaitIdleSeesNoneActive() throws Exception {
		// Units closing together: the one that empties the set must not wake the waiter
		// before the others are counted.
		int rounds = 2000;
		int units = 4;
		ExecutorService pool = Executors.newFixedThreadPool(units);
		try {
			for (int round = 1; round <= rounds; round++) {
				CyclicBarrier together = new CyclicBarrier(units);
				for (int i = 0; i < units; i++) {
					WorkTracker.Work work = this.tracker.start("unit");
					pool.execute(() -> {
						try {
							together.await(5, TimeUnit.SECONDS);
						}
						catch (Exception ex) {
							throw new IllegalStateException(ex);
						}
						work.close();
					});
				}
				assertThat(this.tracker.awaitIdle(System.nanoTime() + TimeUnit.SECONDS.toNanos(5))).isTrue();
				assertThat(this.tracker.finishedCount()).as("round %d", round).isEqualTo((long) round * units);
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void nameSupplierIsCalledOnlyWhenTheNameIsAsked() {
		AtomicInteger calls = new AtomicInteger();
		WorkTracker.Work work = this.tracker.start(() -> "batch-" + calls.incrementAndGet());
		work.close();
		assertThat(calls).hasValue(0);
		assertThat(work.name()).isEqualTo("batch-1");
	}

	@Test
	void awaitIdleReturnsAtOnceWhenNothingIsActive() throws InterruptedException {
		assertThat(this.tracker.awaitIdle(System.nanoTime())).isTrue();
	}

	@Test
	void awaitIdleReturnsFalseWhenWorkOutlivesTheDeadline() throws InterruptedException {
		this.tracker.start("never-ends");
		assertThat(this.tracker.awaitIdle(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100))).isFalse();
	}

	@Test
	void awaitIdleReturnsTrueOnceTheLastWorkCloses() throws InterruptedException {
		CountDownLatch started = new CountDownLatch(1);
		CountDownLatch release = new CountDownLatch(1);
		AtomicBoolean closed = new AtomicBoolean();
		start(() -> {
			try (WorkTracker.Work work = this.tracker.start("worker")) {
				started.countDown();
				release.await();
				closed.set(true);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.tracker.awaitIdle(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50))).isFalse();
		release.countDown();
		assertThat(this.tracker.awaitIdle(System.nanoTime() + TimeUnit.SECONDS.toNanos(30))).isTrue();
		assertThat(closed).isTrue();
		assertThat(this.tracker.finishedCount()).isEqualTo(1);
	}

	@Test
	void cancelInterruptsTheThreadThatStartedTheWork() throws InterruptedException {
		CountDownLatch started = new CountDownLatch(1);
		CountDownLatch interrupted = new CountDownLatch(1);
		AtomicBoolean stopRequested = new AtomicBoolean();
		start(() -> {
			try (WorkTracker.Work work = this.tracker.start("sleeper")) {
				started.countDown();
				Thread.sleep(60_000);
			}
			catch (InterruptedException ex) {
				stopRequested.set(this.tracker.isCancelled());
				interrupted.countDown();
			}
		});
		assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(this.tracker.isCancelled()).isFalse();
		this.tracker.cancel();
		assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(stopRequested).isTrue();
		assertThat(this.tracker.isCancelled()).isTrue();
		assertThat(this.tracker.awaitIdle(System.nanoTime() + TimeUnit.SECONDS.toNanos(10))).isTrue();
	}

	@Test
	void cancelDoesNotInterruptThreadsWhoseWorkHasClosed() {
		this.tracker.start("done").close();
		this.tracker.cancel();
		assertThat(Thread.interrupted()).isFalse();
	}

	@Test
	void cancelInterruptsTheCurrentThreadWhenItStartedActiveWork() {
		WorkTracker.Work work = this.tracker.start("mine");
		this.tracker.cancel();
		assertThat(Thread.interrupted()).isTrue();
		assertThat(work.shouldStop()).isTrue();
	}

	@Test
	void cancelRunsEachCancelCallbackOnceEvenWhenCalledTwice() {
		List<String> calls = new CopyOnWriteArrayList<>();
		this.tracker.onCancel(() -> calls.add("first"));
		this.tracker.onCancel(() -> calls.add("second"));
		assertThat(calls).isEmpty();
		this.tracker.cancel();
		this.tracker.cancel();
		assertThat(calls).containsExactly("first", "second");
	}

	@Test
	void cancelCallbackRegisteredAfterCancelRunsAtOnce() {
		this.tracker.cancel();
		List<String> calls = new CopyOnWriteArrayList<>();
		this.tracker.onCancel(() -> calls.add("late"));
		assertThat(calls).containsExactly("late");
	}

	@Test
	void failingCancelCallbackDoesNotStopTheOthersNorTheInterrupt() {
		List<String> calls = new CopyOnWriteArrayList<>();
		this.tracker.onCancel(() -> {
			throw new IllegalStateException("callback failed");
		});
		this.tracker.onCancel(() -> calls.add("second"));
		this.tracker.start("mine");
		this.tracker.cancel();
		assertThat(calls).containsExactly("second");
		assertThat(Thread.interrupted()).isTrue();
	}

	@Test
	void shutdownCallbacksRunWhenTheShutdownBeginsAndOnlyThen() {
		List<String> calls = new CopyOnWriteArrayList<>();
		this.tracker.onShutdown(() -> calls.add("first"));
		this.tracker.onShutdown(() -> calls.add("second"));
		assertThat(this.tracker.isShutdownRequested()).isFalse();
		assertThat(calls).isEmpty();
		this.progress.begin();
		assertThat(this.tracker.isShutdownRequested()).isTrue();
		assertThat(calls).containsExactly("first", "second");
		this.progress.begin();
		assertThat(calls).containsExactly("first", "second");
	}

	@Test
	void shutdownCallbackRegisteredAfterTheShutdownBeganRunsAtOnceOnTheCallingThread() {
		this.progress.begin();
		AtomicReference<Thread> ranOn = new AtomicReference<>();
		this.tracker.onShutdown(() -> ranOn.set(Thread.currentThread()));
		assertThat(ranOn).hasValue(Thread.currentThread());
	}

	@Test
	void failingShutdownCallbackDoesNotStopTheOthers() {
		List<String> calls = new CopyOnWriteArrayList<>();
		this.tracker.onShutdown(() -> {
			throw new IllegalStateException("callback failed");
		});
		this.tracker.onShutdown(() -> calls.add("second"));
		assertThat(this.progress.begin()).isTrue();
		assertThat(calls).containsExactly("second");
	}

	@Test
	void shutdownDoesNotCancelWork() {
		this.tracker.start("import");
		this.progress.begin();
		assertThat(this.tracker.isShutdownRequested()).isTrue();
		assertThat(this.tracker.isCancelled()).isFalse();
		assertThat(Thread.interrupted()).isFalse();
	}

	@Test
	void awaitShutdownTimesOutWhenTheShutdownDoesNotBegin() throws InterruptedException {
		assertThat(this.tracker.awaitShutdown(Duration.ofMillis(100))).isFalse();
	}

	@Test
	void awaitShutdownReturnsAtOnceWhenTheShutdownHasBegun() throws InterruptedException {
		this.progress.begin();
		assertThat(this.tracker.awaitShutdown(Duration.ZERO)).isTrue();
	}

	@Test
	void awaitShutdownWakesUpWhenTheShutdownBegins() throws InterruptedException {
		CountDownLatch waiting = new CountDownLatch(1);
		AtomicReference<Boolean> result = new AtomicReference<>();
		Thread waiter = start(() -> {
			try {
				waiting.countDown();
				result.set(this.tracker.awaitShutdown(Duration.ofSeconds(60)));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		});
		assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
		this.progress.begin();
		waiter.join(30_000);
		assertThat(waiter.isAlive()).isFalse();
		assertThat(result).hasValue(true);
	}

	@Test
	void deadlineIsUnknownUntilTheShutdownSetsIt() {
		assertThat(this.tracker.deadline()).isEmpty();
		Instant deadline = Instant.parse("2030-01-01T00:00:10Z");
		this.tracker.setDeadline(deadline);
		assertThat(this.tracker.deadline()).contains(deadline);
	}

	private Thread start(Runnable runnable) {
		Thread thread = new Thread(runnable, "work-tracker-test");
		thread.setDaemon(true);
		this.threads.add(thread);
		thread.start();
		return thread;
	}

}
