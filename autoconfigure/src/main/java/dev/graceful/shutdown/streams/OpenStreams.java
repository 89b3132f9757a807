package dev.graceful.shutdown.streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * The open streams of one kind, and their hand-off: each stream registers how it is ended
 * on purpose (a last event and a clean end, a close frame) and says when it has closed.
 * Once the hand-off has started, a stream that opens is handed off at once.
 */
public final class OpenStreams {

	private static final Log logger = LogFactory.getLog(OpenStreams.class);

	private static final int ATTEMPTS = 3;

	private static final long RETRY_PAUSE_MILLIS = 20;

	private final String kind;

	private final Set<Stream> open = ConcurrentHashMap.newKeySet();

	private final LongAdder handedOff = new LongAdder();

	private volatile boolean handingOff;

	/**
	 * Create the registry of one kind of stream.
	 * @param kind what the streams are, for the log
	 */
	public OpenStreams(String kind) {
		this.kind = kind;
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
		Stream stream = new Stream(handOff);
		this.open.add(stream);
		if (this.handingOff) {
			stream.handOff();
		}
		return stream;
	}

	/**
	 * Return how many streams are open.
	 * @return the number open
	 */
	public int count() {
		return this.open.size();
	}

	/**
	 * Return how many streams have been handed off.
	 * @return the number handed off so far
	 */
	public long handedOff() {
		return this.handedOff.sum();
	}

	/**
	 * From now on, hand off every stream that opens, as it opens.
	 * @return how many streams are open
	 */
	public int beginHandOff() {
		this.handingOff = true;
		return count();
	}

	/**
	 * Hand every open stream off, spread evenly over a window: with thousands of clients
	 * reconnecting at the same millisecond, the instances that remain would take the
	 * storm. Streams that open from now on are handed off as they open.
	 * @param spread the window, zero for all at once
	 * @return how many streams were open when the hand-off started
	 * @throws InterruptedException if interrupted while spreading
	 */
	public int handOffAll(Duration spread) throws InterruptedException {
		this.handingOff = true;
		List<Stream> streams = new ArrayList<>(this.open);
		int count = streams.size();
		long start = System.nanoTime();
		long window = spread.toNanos();
		List<Stream> retry = new ArrayList<>();
		for (int i = 0; i < count; i++) {
			if (window > 0) {
				long wait = start + (window / count) * i - System.nanoTime();
				if (wait > TimeUnit.MILLISECONDS.toNanos(1)) {
					TimeUnit.NANOSECONDS.sleep(wait);
				}
			}
			Stream stream = streams.get(i);
			if (!stream.handOff()) {
				retry.add(stream);
			}
		}
		// Streams whose own writer was busy: a close frame or last event cannot interleave
		// with a message being sent. Tried again, briefly.
		for (int attempt = 1; attempt < ATTEMPTS && !retry.isEmpty(); attempt++) {
			Thread.sleep(RETRY_PAUSE_MILLIS);
			retry.removeIf(Stream::handOff);
		}
		if (!retry.isEmpty()) {
			logger.warn("Graceful shutdown: " + retry.size() + " " + this.kind + " could not be handed off");
		}
		return count;
	}

	/**
	 * How a stream is ended on purpose.
	 */
	@FunctionalInterface
	public interface HandOff {

		/**
		 * End the stream: send what ends it cleanly.
		 * @return {@code false} to be called again shortly (the stream was busy)
		 * @throws Exception if the stream could not be ended (it is then left to close)
		 */
		boolean handOff() throws Exception;

	}

	/**
	 * One open stream.
	 */
	public final class Stream {

		private final HandOff handOff;

		private final AtomicBoolean done = new AtomicBoolean();

		private Stream(HandOff handOff) {
			this.handOff = handOff;
		}

		/**
		 * Record that the stream has closed, whichever way.
		 */
		public void closed() {
			OpenStreams.this.open.remove(this);
		}

		synchronized boolean handOff() {
			if (this.done.get() || !OpenStreams.this.open.contains(this)) {
				return true;
			}
			try {
				if (!this.handOff.handOff()) {
					return false;
				}
			}
			catch (Throwable ex) {
				logger.debug("Graceful shutdown: could not hand off a stream of " + OpenStreams.this.kind, ex);
			}
			if (this.done.compareAndSet(false, true)) {
				OpenStreams.this.handedOff.increment();
			}
			return true;
		}

	}

}
