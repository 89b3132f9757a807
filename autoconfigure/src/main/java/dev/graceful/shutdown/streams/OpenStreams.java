package dev.graceful.shutdown.streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.StreamHandOffListener;

/**
 * The open streams of one kind, and their hand-off: each stream registers how it is ended
 * on purpose (a last event and a clean end, a close frame) and says when it has closed.
 * Once the hand-off has started, a stream that opens is handed off at once. Before a
 * stream is ended, the application's {@link StreamHandOffListener listeners} may add
 * messages of their own or skip it.
 */
public final class OpenStreams {

	private static final Log logger = LogFactory.getLog(OpenStreams.class);

	private static final int ATTEMPTS = 3;

	private static final Duration RETRY_PAUSE = Duration.ofMillis(20);

	private static final long ONE_MILLISECOND = TimeUnit.MILLISECONDS.toNanos(1);

	/**
	 * How long a stream that has been ended on purpose is still counted open while its
	 * connection closes (a WebSocket close frame sent, the client's answer awaited; the
	 * last chunk of an SSE response on its way out): past it, a client that has not
	 * answered no longer holds the shutdown, and the server's own stop closes its
	 * connection.
	 */
	static final Duration CLOSING_GRACE = Duration.ofSeconds(1);

	private final StreamHandOffListener.Kind type;

	private final String kind;

	private final Supplier<List<StreamHandOffListener>> listeners;

	private final Set<Stream> open = ConcurrentHashMap.newKeySet();

	private final LongAdder handedOff = new LongAdder();

	private final LongAdder skipped = new LongAdder();

	private volatile boolean handingOff;

	/**
	 * Create the registry of one kind of stream, without listeners.
	 * @param type what the streams are
	 * @param kind what the streams are, for the log
	 */
	public OpenStreams(StreamHandOffListener.Kind type, String kind) {
		this(type, kind, Collections::emptyList);
	}

	/**
	 * Create the registry of one kind of stream.
	 * @param type what the streams are
	 * @param kind what the streams are, for the log
	 * @param listeners the application's listeners, looked up at the first hand-off
	 */
	public OpenStreams(StreamHandOffListener.Kind type, String kind,
			Supplier<List<StreamHandOffListener>> listeners) {
		this.type = type;
		this.kind = kind;
		this.listeners = listeners;
	}

	/**
	 * Return what the streams are.
	 * @return the kind
	 */
	public String kind() {
		return this.kind;
	}

	/**
	 * Register a stream that has just opened.
	 * @param handOff ends the stream on purpose; returns {@code false} if it could not
	 * now (another write in progress) and should be tried again
	 * @return the stream, to be told when it has closed
	 */
	public Stream open(HandOff handOff) {
		return open("", null, handOff);
	}

	/**
	 * Register a stream that has just opened.
	 * @param path the path of the request that opened it, for the listeners
	 * @param target what the application knows the stream by, for the listeners
	 * @param handOff ends the stream on purpose, after the listeners' messages; returns
	 * {@code false} if it could not now (another write in progress) and should be tried
	 * again
	 * @return the stream, to be told when it has closed
	 */
	public Stream open(String path, @Nullable Object target, HandOff handOff) {
		Stream stream = opening(path, target, handOff);
		stream.ready();
		return stream;
	}

	/**
	 * Register a stream that is opening, before the application has set it up (a
	 * WebSocket session whose handler is yet to be told of it): it counts as open from
	 * now on, and is handed off only once {@link Stream#ready()} says the application has
	 * set it up, so that the listeners find what it set up, and the application never
	 * gets a stream the starter has ended.
	 * @param path the path of the request that opened it, for the listeners
	 * @param target what the application knows the stream by, for the listeners
	 * @param handOff ends the stream on purpose, after the listeners' messages; returns
	 * {@code false} if it could not now (another write in progress) and should be tried
	 * again
	 * @return the stream, to be told when it is ready and when it has closed
	 */
	public Stream opening(String path, @Nullable Object target, HandOff handOff) {
		Stream stream = new Stream(path, target, handOff);
		this.open.add(stream);
		return stream;
	}

	/**
	 * Return how many streams are open, counting those whose connection is still closing.
	 * @return the number open
	 */
	public int count() {
		this.open.removeIf(Stream::hasClosed);
		return this.open.size();
	}

	/**
	 * Return how many open streams the application has set up (see {@link Stream#ready()}):
	 * those that a hand-off starting now would hand off at once.
	 * @return the number of open streams that may be handed off
	 */
	int readyCount() {
		int ready = 0;
		for (Stream stream : this.open) {
			synchronized (stream) {
				if (stream.ready) {
					ready++;
				}
			}
		}
		return ready;
	}

	/**
	 * Return how many streams have been handed off.
	 * @return the number handed off so far
	 */
	public long handedOff() {
		return this.handedOff.sum();
	}

	/**
	 * Return how many streams the application's listeners skipped.
	 * @return the number left to the application
	 */
	public long skipped() {
		return this.skipped.sum();
	}

	/**
	 * From now on, hand off every stream that opens, as it opens.
	 * @return how many streams are open
	 */
	public int beginHandOff() {
		takeTurns();
		return count();
	}

	/**
	 * Give every stream open now a turn in the hand-off's spread, then hand off, as they
	 * become ready, the streams that open from now on. A stream still opening now (its
	 * handler not yet told of it) waits for its turn too: handed off as it became ready,
	 * the streams that opened just before the shutdown would all end together.
	 */
	private void takeTurns() {
		for (Stream stream : this.open) {
			stream.waitForTurn();
		}
		this.handingOff = true;
	}

	/**
	 * Hand every open stream off, spread evenly over a window: with thousands of clients
	 * reconnecting at the same millisecond, the instances that remain would take the
	 * storm. Streams that open from now on are handed off as they open, as are those that
	 * opened since {@link #beginHandOff()}, if it was called: only the streams open when
	 * the hand-off began wait for a turn.
	 * @param spread the window, zero for all at once
	 * @return how many streams were open when the hand-off started
	 * @throws InterruptedException if interrupted while spreading
	 */
	public int handOffAll(Duration spread) throws InterruptedException {
		if (!this.handingOff) {
			takeTurns();
		}
		List<Stream> streams = new ArrayList<>(this.open);
		int count = streams.size();
		long start = System.nanoTime();
		long step = spread.toNanos() / Math.max(count, 1);
		// Streams whose own writer was busy (a close frame or last event cannot interleave
		// with a message being sent) are tried again after a pause, between the others'
		// turns: not once the window is over, which would end them with the last ones.
		List<Busy> busy = new ArrayList<>();
		int gaveUp = 0;
		int next = 0;
		while (next < count || !busy.isEmpty()) {
			long now = System.nanoTime();
			gaveUp += tryAgain(busy, now);
			if (next < count && start + step * next - now <= ONE_MILLISECOND) {
				Stream stream = streams.get(next++);
				if (!stream.handOff()) {
					busy.add(new Busy(stream, now + RETRY_PAUSE.toNanos()));
				}
				continue;
			}
			if (next == count && busy.isEmpty()) {
				break;
			}
			long wake = (next < count) ? start + step * next : busy.get(0).due;
			for (Busy stream : busy) {
				if (stream.due - wake < 0) {
					wake = stream.due;
				}
			}
			long wait = wake - System.nanoTime();
			if (wait > 0) {
				TimeUnit.NANOSECONDS.sleep(wait);
			}
		}
		if (gaveUp > 0) {
			logger.warn("Graceful shutdown: " + gaveUp + " " + this.kind + " could not be handed off");
		}
		long skippedByListeners = skipped();
		if (skippedByListeners > 0) {
			logger.info("Graceful shutdown: " + skippedByListeners + " " + this.kind
					+ " left to the application (skipped by a StreamHandOffListener)");
		}
		return count;
	}

	/**
	 * Try the busy streams whose pause is over again.
	 * @return how many of them were given up, tried {@link #ATTEMPTS} times
	 */
	private static int tryAgain(List<Busy> busy, long now) {
		int gaveUp = 0;
		for (Iterator<Busy> iterator = busy.iterator(); iterator.hasNext();) {
			Busy stream = iterator.next();
			if (stream.due - now > 0) {
				continue;
			}
			if (stream.stream.handOff()) {
				iterator.remove();
			}
			else if (++stream.attempts == ATTEMPTS) {
				iterator.remove();
				gaveUp++;
			}
			else {
				stream.due = now + RETRY_PAUSE.toNanos();
			}
		}
		return gaveUp;
	}

	/**
	 * A stream whose writer was busy at its hand-off: when it is to be tried again.
	 */
	private static final class Busy {

		private final Stream stream;

		private int attempts = 1;

		private long due;

		private Busy(Stream stream, long due) {
			this.stream = stream;
			this.due = due;
		}

	}

	/**
	 * How a stream is ended on purpose.
	 */
	@FunctionalInterface
	public interface HandOff {

		/**
		 * End the stream: send the application's messages, if any, then what ends it
		 * cleanly.
		 * @param messages the messages the application's listeners sent, in order; the
		 * same list on every attempt, with those already written removed by the callee
		 * @return {@code false} to be called again shortly (the stream was busy)
		 * @throws Exception if the stream could not be ended (it is then left to close)
		 */
		boolean handOff(List<String> messages) throws Exception;

		/**
		 * Told that the stream's hand-off begins, before the application's listeners are
		 * called: a listener may end what the stream writes (as an application stops its
		 * ticks), and the listeners' messages and the end are to follow it, not be lost
		 * with it. {@link #handOff} or {@link #skipped} follows.
		 */
		default void handOffBegins() {
		}

		/**
		 * Told that a listener skipped the stream: the application ends it its own way,
		 * and {@link #handOff} is not called.
		 */
		default void skipped() {
		}

	}

	/**
	 * One open stream.
	 */
	public final class Stream implements StreamHandOffListener.OpenStream {

		private final String path;

		private final @Nullable Object target;

		private final HandOff handOff;

		private final AtomicBoolean done = new AtomicBoolean();

		/** The listeners' messages; {@code null} until the listeners have been called. */
		private @Nullable List<String> messages;

		private boolean skip;

		/** The application has set the stream up: it may be handed off (guarded by this). */
		private boolean ready;

		/**
		 * Open when the hand-off began, its turn in the spread not yet come: handed off at
		 * its turn, not as it becomes ready (guarded by this).
		 */
		private boolean waitsForTurn;

		/** Says when a stream that has ended has closed its connection, if it is closing. */
		private volatile @Nullable BooleanSupplier closing;

		private volatile long closingDeadline;

		private Stream(String path, @Nullable Object target, HandOff handOff) {
			this.path = path;
			this.target = target;
			this.handOff = handOff;
		}

		@Override
		public StreamHandOffListener.Kind kind() {
			return OpenStreams.this.type;
		}

		@Override
		public String path() {
			return this.path;
		}

		@Override
		public <T> @Nullable T unwrap(Class<T> type) {
			return type.isInstance(this.target) ? type.cast(this.target) : null;
		}

		@Override
		public void send(String data) {
			List<String> messages = this.messages;
			if (messages == null) {
				throw new IllegalStateException("Messages can be sent only from StreamHandOffListener.beforeHandOff");
			}
			messages.add(data);
		}

		@Override
		public void skip() {
			this.skip = true;
		}

		/**
		 * Record that the application has set the stream up: from now on it may be handed
		 * off, and it is at once if the hand-off is under way and its turn has come (a
		 * stream that opened once the hand-off had begun has no turn to wait for).
		 */
		public void ready() {
			boolean turnHasCome;
			synchronized (this) {
				this.ready = true;
				turnHasCome = !this.waitsForTurn;
			}
			if (OpenStreams.this.handingOff && turnHasCome) {
				handOffTryingAgain(1);
			}
		}

		private synchronized void waitForTurn() {
			this.waitsForTurn = true;
		}

		/**
		 * Hand the stream off now; while its writer is busy, try again after a pause, on
		 * another thread (the caller's may be the one that writes).
		 */
		private void handOffTryingAgain(int attempt) {
			if (handOff()) {
				return;
			}
			if (attempt == ATTEMPTS) {
				logger.warn("Graceful shutdown: a stream of " + OpenStreams.this.kind + " at " + this.path
						+ " could not be handed off");
				return;
			}
			CompletableFuture.delayedExecutor(RETRY_PAUSE.toMillis(), TimeUnit.MILLISECONDS)
				.execute(() -> handOffTryingAgain(attempt + 1));
		}

		/**
		 * Record that the stream has closed, whichever way.
		 */
		public void closed() {
			OpenStreams.this.open.remove(this);
		}

		/**
		 * Record that the stream has ended but that its connection is still closing: a
		 * WebSocket whose server has sent its close frame and awaits the client's. Until
		 * the connection has closed, or for {@link #CLOSING_GRACE} at most, the stream is
		 * counted open, so that the server does not stop under a close handshake (a
		 * connection closed with the client's close frame unread is reset, and the client
		 * may lose the server's close frame with it). A stream handed off is closing from
		 * its hand-off on, with the grace from then, until it says it has closed.
		 * @param closed says whether the connection has closed
		 */
		public void closing(BooleanSupplier closed) {
			this.closingDeadline = System.nanoTime() + CLOSING_GRACE.toNanos();
			this.closing = closed;
			if (hasClosed()) {
				closed();
			}
		}

		private boolean hasClosed() {
			BooleanSupplier closing = this.closing;
			if (closing == null) {
				return false;
			}
			try {
				return closing.getAsBoolean() || System.nanoTime() - this.closingDeadline >= 0;
			}
			catch (RuntimeException ex) {
				return true;
			}
		}

		synchronized boolean handOff() {
			if (this.done.get() || !OpenStreams.this.open.contains(this)) {
				return true;
			}
			if (!this.ready) {
				// Its turn has come: handed off when the application has set it up (ready()).
				this.waitsForTurn = false;
				return true;
			}
			if (this.messages == null) {
				this.messages = new ArrayList<>();
				this.handOff.handOffBegins();
				callListeners();
				if (this.skip) {
					this.done.set(true);
					OpenStreams.this.skipped.increment();
					this.handOff.skipped();
					return true;
				}
			}
			try {
				if (!this.handOff.handOff(this.messages)) {
					return false;
				}
			}
			catch (Throwable ex) {
				logger.debug("Graceful shutdown: could not hand off a stream of " + OpenStreams.this.kind, ex);
			}
			if (this.done.compareAndSet(false, true)) {
				OpenStreams.this.handedOff.increment();
			}
			if (this.closing == null) {
				// Ended: counted open until it says it has closed, for the grace at most.
				closing(() -> false);
			}
			return true;
		}

		private void callListeners() {
			boolean failed = false;
			for (StreamHandOffListener listener : OpenStreams.this.listeners.get()) {
				try {
					listener.beforeHandOff(this);
				}
				catch (Throwable ex) {
					logger.warn("Graceful shutdown: StreamHandOffListener " + listener.getClass().getName()
							+ " failed on a stream of " + OpenStreams.this.kind + " at " + this.path
							+ "; handed off the starter's way", ex);
					failed = true;
				}
			}
			if (failed) {
				this.skip = false;
			}
		}

	}

}
