package dev.graceful.shutdown.streams;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link OpenStreams}.
 */
class OpenStreamsTests {

	private final OpenStreams streams = new OpenStreams("test stream(s)");

	@Test
	void everyOpenStreamIsHandedOffOnceAndCountsAsOpenUntilItCloses() throws Exception {
		List<String> handedOff = new CopyOnWriteArrayList<>();
		OpenStreams.Stream first = this.streams.open(() -> handedOff.add("first"));
		this.streams.open(() -> handedOff.add("second"));
		first.closed();
		this.streams.open(() -> handedOff.add("third"));

		assertThat(this.streams.handOffAll(Duration.ZERO)).isEqualTo(2);
		this.streams.handOffAll(Duration.ZERO);

		assertThat(handedOff).containsExactlyInAnyOrder("second", "third");
		assertThat(this.streams.handedOff()).isEqualTo(2);
		assertThat(this.streams.count()).isEqualTo(2);
	}

	@Test
	void streamThatOpensOnceTheHandOffHasBegunIsHandedOffAtOnce() {
		assertThat(this.streams.beginHandOff()).isZero();
		AtomicInteger handedOff = new AtomicInteger();

		this.streams.open(() -> handedOff.incrementAndGet() > 0);

		assertThat(handedOff).hasValue(1);
		assertThat(this.streams.handedOff()).isEqualTo(1);
	}

	@Test
	void busyStreamIsTriedAgain() throws Exception {
		AtomicInteger attempts = new AtomicInteger();
		this.streams.open(() -> attempts.incrementAndGet() >= 2);

		this.streams.handOffAll(Duration.ZERO);

		assertThat(attempts).hasValue(2);
		assertThat(this.streams.handedOff()).isEqualTo(1);
	}

	@Test
	void streamThatFailsToBeEndedCountsAsHandedOffAndStaysOpenUntilItCloses() throws Exception {
		this.streams.open(() -> {
			throw new IllegalStateException("connection gone");
		});

		this.streams.handOffAll(Duration.ZERO);

		assertThat(this.streams.handedOff()).isEqualTo(1);
		assertThat(this.streams.count()).isEqualTo(1);
	}

	@Test
	void handOffIsSpreadEvenlyOverTheWindow() throws Exception {
		List<Long> times = new CopyOnWriteArrayList<>();
		for (int i = 0; i < 5; i++) {
			this.streams.open(() -> times.add(System.nanoTime()));
		}
		long start = System.nanoTime();

		this.streams.handOffAll(Duration.ofMillis(500));

		// The i-th of n streams is handed off no earlier than window * i / n.
		assertThat(times).hasSize(5);
		for (int i = 0; i < times.size(); i++) {
			assertThat((times.get(i) - start) / 1_000_000).isGreaterThanOrEqualTo(100L * i - 1);
		}
	}

	@Test
	void lastEventIsWrittenAsServerSentEventFields() {
		assertThat(new LastEvent("shutdown", "reconnect", null).toText())
			.isEqualTo("event:shutdown\ndata:reconnect\n\n");
		assertThat(new LastEvent("", "two\nlines", Duration.ofSeconds(2)).toText())
			.isEqualTo("retry:2000\ndata:two\ndata:lines\n\n");
	}

}
