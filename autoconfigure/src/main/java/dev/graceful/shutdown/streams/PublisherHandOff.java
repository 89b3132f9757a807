package dev.graceful.shutdown.streams;

import java.util.List;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The hand-off of a stream that the server writes from a publisher (a WebFlux event
 * stream body or WebSocket outbound, a Spring MVC {@code Flux} of server-sent events): at
 * the hand-off the application's publisher is cut, and the hand-off's last elements (the
 * listeners' messages, the last event) follow it.
 * <p>
 * A publisher that ends by itself once the hand-off has begun waits for it: a listener
 * may end the publisher (as an application stops its ticks) before the starter has its
 * messages, and they would otherwise be lost with the end. A publisher that ended before
 * the hand-off began is left as it ended.
 * <p>
 * Used only with Reactor on the class path.
 */
public final class PublisherHandOff implements OpenStreams.HandOff {

	private final @Nullable Function<List<String>, Mono<Void>> separately;

	private final Sinks.One<Boolean> cut = Sinks.one();

	private final Sinks.Empty<Void> decided = Sinks.empty();

	private volatile boolean begun;

	/** The listeners' messages, {@code null} until the stream has been handed off. */
	private volatile @Nullable List<String> messages;

	/** The last elements sent on their own, once they are; {@code null} until then. */
	private volatile @Nullable Mono<Void> sentSeparately;

	/** A writer is taking the publisher's elements (guarded by this). */
	private boolean writing;

	/**
	 * The last elements have gone out, through a writer or on their own (guarded by
	 * this).
	 */
	private boolean taken;

	/**
	 * Create the hand-off of a stream whose writer takes the last elements, even one
	 * that starts after the hand-off (a response body).
	 */
	public PublisherHandOff() {
		this.separately = null;
	}

	/**
	 * Create the hand-off of a stream that can be ended without a writer of the
	 * application's (a WebSocket session, whose handler may not be sending).
	 * @param separately ends the stream with the listeners' messages when no writer is
	 * taking the publisher's elements at the hand-off
	 */
	public PublisherHandOff(Function<List<String>, Mono<Void>> separately) {
		this.separately = separately;
	}

	/**
	 * Return what the server is to write: the application's elements until the
	 * hand-off, then the last ones.
	 * @param <T> the type of the elements
	 * @param elements the application's elements
	 * @param last the last elements, made from the listeners' messages once the stream
	 * has been handed off; called at most once, for the writer that writes them
	 * @return the elements to write
	 */
	public <T> Flux<T> write(Publisher<T> elements, Function<List<String>, Publisher<T>> last) {
		return Flux.defer(() -> {
			synchronized (this) {
				if (this.taken) {
					// Handed off, its last elements gone out: nothing follows them.
					return Flux.empty();
				}
				this.writing = true;
			}
			return Flux.from(elements)
				.takeUntilOther(this.cut.asMono())
				.concatWith(Flux.defer(() -> last(last)))
				.doFinally((signal) -> writerEnded());
		});
	}

	private synchronized <T> Flux<T> last(Function<List<String>, Publisher<T>> last) {
		if (!this.begun) {
			// Ended by itself, before the hand-off: a hand-off from now on goes separately.
			this.writing = false;
			return Flux.empty();
		}
		// The hand-off has begun (its listeners may have ended the publisher): its last
		// elements follow once it is decided.
		return this.decided.asMono().thenMany(Flux.defer(() -> {
			List<String> lastMessages = take();
			return (lastMessages != null) ? Flux.from(last.apply(lastMessages)) : Flux.empty();
		}));
	}

	private synchronized @Nullable List<String> take() {
		if (this.taken || this.messages == null) {
			return null;
		}
		this.taken = true;
		return this.messages;
	}

	private synchronized void writerEnded() {
		this.writing = false;
	}

	/**
	 * Return what completes once the hand-off is decided and, if the last elements went
	 * out on their own (no writer was taking the publisher's elements), once they have
	 * gone out: a WebSocket handler's end waits for it, since the server closes the
	 * session itself when the handler ends (1000 Normal Closure), which would otherwise
	 * overtake the listeners' messages and the close frame of a session that opened
	 * while the streams were handed off. Completes at once if the hand-off had not begun.
	 * @return the end of the hand-off, never an error
	 */
	public Mono<Void> ended() {
		return Mono.defer(() -> {
			if (!this.begun) {
				return Mono.empty();
			}
			return this.decided.asMono().then(Mono.defer(() -> whenSent(this.sentSeparately)));
		});
	}

	/**
	 * Send something on its own: subscribe to it at once, its failure ignored (a session
	 * broken meanwhile ends the stream all the same), and return it so that it can be
	 * waited for without sending it again.
	 * @param sending what sends it when subscribed to
	 * @return what completes once it has been sent, or fails as it did
	 * @see #whenSent(Mono)
	 */
	public static Mono<Void> sendOnItsOwn(Mono<Void> sending) {
		Mono<Void> sent = sending.cache();
		sent.subscribe(null, (ex) -> {
		});
		return sent;
	}

	/**
	 * Return what completes once something sent on its own has gone out or failed.
	 * @param sent what {@link #sendOnItsOwn(Mono)} returned, or {@code null} if nothing
	 * was sent
	 * @return its end, never an error
	 */
	public static Mono<Void> whenSent(@Nullable Mono<Void> sent) {
		return (sent != null) ? sent.onErrorResume((ex) -> Mono.empty()) : Mono.empty();
	}

	@Override
	public void handOffBegins() {
		this.begun = true;
	}

	@Override
	public void skipped() {
		this.decided.tryEmitEmpty();
	}

	@Override
	public boolean handOff(List<String> listenerMessages) {
		List<String> copy = List.copyOf(listenerMessages);
		listenerMessages.clear();
		boolean separate;
		Function<List<String>, Mono<Void>> separately = this.separately;
		synchronized (this) {
			this.messages = copy;
			separate = separately != null && !this.writing;
			this.taken = separate;
		}
		if (separate) {
			this.sentSeparately = sendOnItsOwn(separately.apply(copy));
		}
		this.cut.tryEmitValue(Boolean.TRUE);
		this.decided.tryEmitEmpty();
		return true;
	}

}
