package dev.graceful.shutdown.streams;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.StreamHandOffListener;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link OpenStreams}.
 */
class OpenStreamsTests {

	private final OpenStreams streams = new OpenStreams(StreamHandOffListener.Kind.SSE, "test stream(s)");

	@Test
	void everyOpenStreamIsHandedOffOnceAndCountsAsOpenUntilItCloses() throws Exception {
		List<String> handedOff = new CopyOnWriteArrayList<>();
		OpenStreams.Stream first = this.streams.open((messages) -> handedOff.add("first"));
		this.streams.open((messages) -> handedOff.add("second"));
		first.closed();
		this.streams.open((messages) -> handedOff.add("third"));

		assertThat(this.streams.handOffAll(Duration.ZERO)).isEqualTo(2);
		this.streams.handOffAll(Duration.ZERO);

		assertThat(handedOff).containsExactlyInAnyOrder("second", "third");
		assertThat(this.streams.handedOff()).isEqualTo(2);
		assertThat(this.streams.count()).isEqualTo(2);
	}

	@Test
	void streamThatIsOpeningCountsOpenAndIsReadyOnceTheApplicationHasSetItUp() {
		OpenStreams.Stream opening = this.streams.opening("/ws", null, (messages) -> true);
		this.streams.open((messages) -> true);
		assertThat(this.streams.count()).isEqualTo(2);
		assertThat(this.streams.readyCount()).isEqualTo(1);

		opening.ready();

		assertThat(this.streams.readyCount()).isEqualTo(2);
	}

	@Test
	void streamThatOpensOnceTheHandOffHasBegunIsHandedOffAtOnce() {
		assertThat(this.streams.beginHandOff()).isZero();
		AtomicInteger handedOff = new AtomicInteger();

		this.streams.open((messages) -> handedOff.incrementAndGet() > 0);

		assertThat(handedOff).hasValue(1);
		assertThat(this.streams.handedOff()).isEqualTo(1);
	}

	@Test
	void streamStillOpeningWhenTheHandOffBeginsIsHandedOffAtItsTurnNotAsItBecomesReady() throws Exception {
		// Two streams whose handlers are still being told of them as the hand-off begins:
		// the first one's turn is at once, the second one's 1 s later (2 s over two).
		Map<String, Long> handedOff = new ConcurrentHashMap<>();
		OpenStreams.Stream a = this.streams.opening("/a", null,
				(messages) -> handedOff.put("a", System.nanoTime()) == null);
		OpenStreams.Stream b = this.streams.opening("/b", null,
				(messages) -> handedOff.put("b", System.nanoTime()) == null);
		assertThat(this.streams.beginHandOff()).isEqualTo(2);
		long start = System.nanoTime();
		CompletableFuture<Integer> handOff = handOffAllAsync(this.streams, Duration.ofSeconds(2));
		Thread.sleep(100);

		a.ready();
		b.ready();

		assertThat(handOff.get(10, TimeUnit.SECONDS)).isEqualTo(2);
		assertThat(handedOff).containsOnlyKeys("a", "b");
		// Whichever went first was handed off as it became ready; the other at its turn.
		long earlier = Math.min(handedOff.get("a"), handedOff.get("b")) - start;
		long later = Math.max(handedOff.get("a"), handedOff.get("b")) - start;
		assertThat(TimeUnit.NANOSECONDS.toMillis(earlier)).isGreaterThanOrEqualTo(99);
		assertThat(TimeUnit.NANOSECONDS.toMillis(later)).isGreaterThanOrEqualTo(999);
		assertThat(this.streams.handedOff()).isEqualTo(2);
	}

	@Test
	void streamOpenedOnceTheHandOffHasBegunIsHandedOffAsItBecomesReadyNotAtATurn() throws Exception {
		// One stream open as the hand-off begins, one that opens after it and is still
		// opening when the spread starts: 2 s over two, the turns at 0 and 1 s. Which stream
		// gets which turn depends on the set's order; the case is the one where the stream
		// open from the start goes first, so that the late one's turn would be 1 s in.
		for (int attempt = 1; attempt <= 20; attempt++) {
			OpenStreams streams = new OpenStreams(StreamHandOffListener.Kind.SSE, "test stream(s)");
			Map<String, Long> handedOff = new ConcurrentHashMap<>();
			streams.open("/early", null, (messages) -> handedOff.put("early", System.nanoTime()) == null);
			assertThat(streams.beginHandOff()).isEqualTo(1);
			OpenStreams.Stream late = streams.opening("/late", null,
					(messages) -> handedOff.put("late", System.nanoTime()) == null);
			long start = System.nanoTime();
			CompletableFuture<Integer> handOff = handOffAllAsync(streams, Duration.ofSeconds(2));
			Thread.sleep(100);

			late.ready();

			assertThat(handOff.get(10, TimeUnit.SECONDS)).isEqualTo(2);
			assertThat(handedOff).containsOnlyKeys("early", "late");
			if (TimeUnit.NANOSECONDS.toMillis(handedOff.get("early") - start) < 500) {
				assertThat(TimeUnit.NANOSECONDS.toMillis(handedOff.get("late") - start)).isBetween(99L, 500L);
				return;
			}
		}
		throw new AssertionError("the stream open from the start never had the first turn in 20 attempts");
	}

	@Test
	void streamWhoseConnectionIsClosingCountsAsOpenUntilItHasClosed() {
		AtomicBoolean connectionClosed = new AtomicBoolean();
		OpenStreams.Stream stream = this.streams.open((messages) -> true);

		stream.closing(connectionClosed::get);

		assertThat(this.streams.count()).isEqualTo(1);
		connectionClosed.set(true);
		assertThat(this.streams.count()).isZero();
	}

	@Test
	void streamWhoseConnectionStaysClosingCountsAsOpenForTheGraceOnly() throws Exception {
		OpenStreams.Stream stream = this.streams.open((messages) -> true);

		stream.closing(() -> false);

		assertThat(this.streams.count()).isEqualTo(1);
		Thread.sleep(OpenStreams.CLOSING_GRACE.toMillis() + 50);
		assertThat(this.streams.count()).isZero();
	}

	@Test
	void busyStreamIsTriedAgain() throws Exception {
		AtomicInteger attempts = new AtomicInteger();
		this.streams.open((messages) -> attempts.incrementAndGet() >= 2);

		this.streams.handOffAll(Duration.ZERO);

		assertThat(attempts).hasValue(2);
		assertThat(this.streams.handedOff()).isEqualTo(1);
	}

	@Test
	void busyStreamIsTriedAgainBeforeTheNextOnesTurnInTheWindow() throws Exception {
		// Each stream's writer is busy at its first attempt: the first one is tried again
		// after a short pause, not once the window (here 1 s per stream) is over.
		List<String> attempts = new CopyOnWriteArrayList<>();
		for (String name : List.of("a", "b")) {
			AtomicInteger calls = new AtomicInteger();
			this.streams.open((messages) -> {
				boolean free = calls.incrementAndGet() > 1;
				attempts.add(name + (free ? " handed off" : " busy"));
				return free;
			});
		}

		this.streams.handOffAll(Duration.ofSeconds(2));

		String first = attempts.get(0).substring(0, 1);
		String second = first.equals("a") ? "b" : "a";
		assertThat(attempts).containsExactly(first + " busy", first + " handed off", second + " busy",
				second + " handed off");
		assertThat(this.streams.handedOff()).isEqualTo(2);
	}

	@Test
	void streamThatOpensBusyOnceTheHandOffHasBegunIsTriedAgain() throws Exception {
		this.streams.beginHandOff();
		AtomicInteger attempts = new AtomicInteger();
		OpenStreams.Stream stream = this.streams.opening("/ws", null, (messages) -> attempts.incrementAndGet() >= 2);

		stream.ready();

		long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
		while (this.streams.handedOff() == 0 && System.nanoTime() - deadline < 0) {
			Thread.sleep(5);
		}
		assertThat(this.streams.handedOff()).isEqualTo(1);
		assertThat(attempts).hasValue(2);
	}

	@Test
	void streamThatFailsToBeEndedCountsAsHandedOffAndStaysOpenUntilItClosesOrForTheGrace() throws Exception {
		this.streams.open((messages) -> {
			throw new IllegalStateException("connection gone");
		});
		OpenStreams.Stream closes = this.streams.open((messages) -> {
			throw new IllegalStateException("connection gone");
		});

		this.streams.handOffAll(Duration.ZERO);

		assertThat(this.streams.handedOff()).isEqualTo(2);
		assertThat(this.streams.count()).isEqualTo(2);
		closes.closed();
		assertThat(this.streams.count()).isEqualTo(1);
		Thread.sleep(OpenStreams.CLOSING_GRACE.toMillis() + 50);
		assertThat(this.streams.count()).isZero();
	}

	@Test
	void handedOffStreamThatNeverSaysItHasClosedCountsAsOpenForTheGraceOnly() throws Exception {
		// A WebSocket client that never answers the close frame, on a server that reports
		// the session closed only once the client has answered (Jetty, Reactor Netty).
		this.streams.open((messages) -> true);
		OpenStreams.Stream answered = this.streams.open((messages) -> true);
		OpenStreams.Stream notHandedOff = this.streams.open((messages) -> false);

		this.streams.handOffAll(Duration.ZERO);

		assertThat(this.streams.count()).isEqualTo(3);
		answered.closed();
		assertThat(this.streams.count()).isEqualTo(2);
		Thread.sleep(OpenStreams.CLOSING_GRACE.toMillis() + 50);
		// The one ended is no longer counted; the one that could not be ended still is.
		assertThat(this.streams.count()).isEqualTo(1);
		notHandedOff.closed();
		assertThat(this.streams.count()).isZero();
	}

	@Test
	void handOffIsSpreadEvenlyOverTheWindow() throws Exception {
		List<Long> times = new CopyOnWriteArrayList<>();
		for (int i = 0; i < 5; i++) {
			this.streams.open((messages) -> times.add(System.nanoTime()));
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
	void listenersMessagesAreWrittenInOrderOnceEvenWhenTheStreamIsTriedAgain() throws Exception {
		AtomicInteger calls = new AtomicInteger();
		StreamHandOffListener first = (stream) -> {
			calls.incrementAndGet();
			assertThat(stream.kind()).isEqualTo(StreamHandOffListener.Kind.WEBSOCKET);
			assertThat(stream.path()).isEqualTo("/ws");
			assertThat(stream.unwrap(String.class)).isEqualTo("the session");
			assertThat(stream.unwrap(Integer.class)).isNull();
			stream.send("one");
		};
		StreamHandOffListener second = (stream) -> stream.send("two");
		OpenStreams streams = new OpenStreams(StreamHandOffListener.Kind.WEBSOCKET, "test",
				() -> List.of(first, second));
		List<String> written = new CopyOnWriteArrayList<>();
		AtomicInteger attempts = new AtomicInteger();
		streams.open("/ws", "the session", (messages) -> {
			// Busy after the first message: tried again with what is left.
			written.add(messages.remove(0));
			return attempts.incrementAndGet() >= 2;
		});

		streams.handOffAll(Duration.ZERO);

		assertThat(written).containsExactly("one", "two");
		assertThat(calls).hasValue(1);
		assertThat(streams.handedOff()).isEqualTo(1);
	}

	@Test
	void streamSkippedByAListenerIsNeitherEndedNorCountedAsHandedOff() throws Exception {
		OpenStreams streams = new OpenStreams(StreamHandOffListener.Kind.SSE, "test",
				() -> List.of((stream) -> stream.skip()));
		AtomicInteger ended = new AtomicInteger();
		streams.open("/sse", null, (messages) -> ended.incrementAndGet() > 0);

		assertThat(streams.handOffAll(Duration.ZERO)).isEqualTo(1);
		streams.handOffAll(Duration.ZERO);

		assertThat(ended).hasValue(0);
		assertThat(streams.handedOff()).isZero();
		assertThat(streams.skipped()).isEqualTo(1);
		// Still open, past the grace of streams ended on purpose: the drain waits for it.
		Thread.sleep(OpenStreams.CLOSING_GRACE.toMillis() + 50);
		assertThat(streams.count()).isEqualTo(1);
	}

	@Test
	void listenerThatThrowsLeavesTheStreamToBeHandedOff() throws Exception {
		OpenStreams streams = new OpenStreams(StreamHandOffListener.Kind.SSE, "test", () -> List.of((stream) -> {
			stream.skip();
			throw new IllegalStateException("no");
		}));
		AtomicInteger ended = new AtomicInteger();
		streams.open("/sse", null, (messages) -> ended.incrementAndGet() > 0);

		streams.handOffAll(Duration.ZERO);

		assertThat(ended).hasValue(1);
		assertThat(streams.handedOff()).isEqualTo(1);
		assertThat(streams.skipped()).isZero();
	}

	/** Run {@link OpenStreams#handOffAll(Duration)} on another thread. */
	private static CompletableFuture<Integer> handOffAllAsync(OpenStreams streams, Duration spread) {
		return CompletableFuture.supplyAsync(() -> {
			try {
				return streams.handOffAll(spread);
			}
			catch (InterruptedException ex) {
				throw new IllegalStateException(ex);
			}
		});
	}

	@Test
	void lastEventIsWrittenAsServerSentEventFields() {
		assertThat(new LastEvent("shutdown", "reconnect", null).toText())
			.isEqualTo("event:shutdown\ndata:reconnect\n\n");
		assertThat(new LastEvent("", "two\nlines", Duration.ofSeconds(2)).toText())
			.isEqualTo("retry:2000\ndata:two\ndata:lines\n\n");
	}

}
