package dev.graceful.shutdown.streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import dev.graceful.shutdown.StreamHandOffListener;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PublisherHandOff}, through the hand-off of {@link OpenStreams}: what a
 * writer of the stream's elements writes, in order.
 */
class PublisherHandOffTests {

	private final Sinks.Many<String> application = Sinks.many().unicast().onBackpressureBuffer();

	private final List<String> written = new CopyOnWriteArrayList<>();

	private final AtomicBoolean writerEnded = new AtomicBoolean();

	@Test
	void applicationsPublisherIsCutAndTheListenersMessagesFollowIt() throws Exception {
		assertTickThenLastMessage((stream) -> stream.send("resume"));
	}

	@Test
	void publisherThatAListenerEndsIsFollowedByTheListenersMessages() throws Exception {
		assertTickThenLastMessage((stream) -> {
			// The application stops its ticks, then says where to resume.
			this.application.tryEmitComplete();
			stream.send("resume");
		});
	}

	private void assertTickThenLastMessage(Consumer<StreamHandOffListener.OpenStream> listener) throws Exception {
		PublisherHandOff handOff = new PublisherHandOff();
		OpenStreams streams = open(handOff, listener);
		write(handOff);
		this.application.tryEmitNext("tick 1");

		streams.handOffAll(Duration.ZERO);

		assertThat(this.written).containsExactly("tick 1", "last resume");
		assertThat(this.writerEnded).isTrue();
	}

	@Test
	void publisherThatEndedBeforeTheHandOffIsLeftAsItEndedAndTheHandOffGoesSeparately() throws Exception {
		List<List<String>> separately = new ArrayList<>();
		PublisherHandOff handOff = new PublisherHandOff((messages) -> Mono.fromRunnable(() -> separately.add(messages)));
		OpenStreams streams = open(handOff, (stream) -> stream.send("resume"));
		write(handOff);
		this.application.tryEmitNext("tick 1");
		this.application.tryEmitComplete();
		assertThat(this.writerEnded).isTrue();

		streams.handOffAll(Duration.ZERO);

		assertThat(this.written).containsExactly("tick 1");
		assertThat(separately).containsExactly(List.of("resume"));
	}

	@Test
	void skippedStreamEndsTheApplicationsWay() throws Exception {
		PublisherHandOff handOff = new PublisherHandOff();
		OpenStreams streams = open(handOff, (stream) -> {
			stream.skip();
			this.application.tryEmitNext("own end");
			this.application.tryEmitComplete();
		});
		write(handOff);
		this.application.tryEmitNext("tick 1");

		streams.handOffAll(Duration.ZERO);

		assertThat(this.written).containsExactly("tick 1", "own end");
		assertThat(this.writerEnded).isTrue();
		assertThat(streams.skipped()).isEqualTo(1);
	}

	@Test
	void writerThatStartsAfterTheHandOffWritesTheLastElementsOnly() throws Exception {
		PublisherHandOff handOff = new PublisherHandOff();
		OpenStreams streams = open(handOff, (stream) -> stream.send("resume"));

		streams.handOffAll(Duration.ZERO);
		this.application.tryEmitNext("tick 1");
		write(handOff);

		assertThat(this.written).containsExactly("last resume");
		assertThat(this.writerEnded).isTrue();
	}

	@Test
	void withoutAWriterTheHandOffGoesSeparatelyAndALaterWriterWritesNothing() throws Exception {
		List<List<String>> separately = new ArrayList<>();
		PublisherHandOff handOff = new PublisherHandOff((messages) -> Mono.fromRunnable(() -> separately.add(messages)));
		OpenStreams streams = open(handOff, (stream) -> stream.send("resume"));

		streams.handOffAll(Duration.ZERO);
		this.application.tryEmitNext("tick 1");
		write(handOff);

		assertThat(separately).containsExactly(List.of("resume"));
		assertThat(this.written).isEmpty();
		assertThat(this.writerEnded).isTrue();
	}

	@Test
	void endedCompletesOnceTheLastElementsSentSeparatelyHaveGoneOut() throws Exception {
		Sinks.Empty<Void> sent = Sinks.empty();
		PublisherHandOff handOff = new PublisherHandOff((messages) -> sent.asMono());
		AtomicBoolean endedBeforeHandOff = new AtomicBoolean();
		handOff.ended().doOnSuccess((done) -> endedBeforeHandOff.set(true)).subscribe();
		assertThat(endedBeforeHandOff).as("no hand-off begun: ended at once").isTrue();

		// A WebSocket handler that ends during its hand-off (a session that opened while
		// the streams were handed off) waits for the messages and the close frame.
		AtomicBoolean ended = new AtomicBoolean();
		OpenStreams streams = open(handOff, (stream) -> {
			handOff.ended().doOnSuccess((done) -> ended.set(true)).subscribe();
			stream.send("resume");
		});
		streams.handOffAll(Duration.ZERO);
		assertThat(ended).as("sending separately").isFalse();
		sent.tryEmitEmpty();
		assertThat(ended).isTrue();
	}

	@Test
	void endedIgnoresAFailureOfTheLastElementsSentSeparately() throws Exception {
		PublisherHandOff handOff = new PublisherHandOff(
				(messages) -> Mono.error(new IllegalStateException("session broken")));
		OpenStreams streams = open(handOff, (stream) -> stream.send("resume"));
		streams.handOffAll(Duration.ZERO);
		AtomicBoolean ended = new AtomicBoolean();
		handOff.ended().subscribe(null, (ex) -> {
		}, () -> ended.set(true));
		assertThat(ended).isTrue();
	}

	@Test
	void lastElementsAreWrittenOnce() throws Exception {
		PublisherHandOff handOff = new PublisherHandOff();
		OpenStreams streams = open(handOff, (stream) -> stream.send("resume"));
		write(handOff);

		streams.handOffAll(Duration.ZERO);
		Disposable second = handOff.write(Flux.just("again"), this::last).subscribe(this.written::add);

		assertThat(this.written).containsExactly("last resume");
		assertThat(second.isDisposed()).isTrue();
	}

	private OpenStreams open(PublisherHandOff handOff, Consumer<StreamHandOffListener.OpenStream> listener) {
		OpenStreams streams = new OpenStreams(StreamHandOffListener.Kind.WEBSOCKET, "test stream(s)",
				() -> List.of(listener::accept));
		streams.open("/ticks", null, handOff);
		return streams;
	}

	private void write(PublisherHandOff handOff) {
		handOff.write(this.application.asFlux(), this::last)
			.doFinally((signal) -> this.writerEnded.set(true))
			.subscribe(this.written::add);
	}

	private Flux<String> last(List<String> messages) {
		return Flux.fromIterable(messages).map((message) -> "last " + message);
	}

}
