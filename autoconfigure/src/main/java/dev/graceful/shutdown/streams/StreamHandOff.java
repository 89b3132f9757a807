package dev.graceful.shutdown.streams;

import java.time.Duration;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.participant.OptionalParticipant;

/**
 * The hand-off of one kind of stream, as a shutdown participant of its own: once the
 * lame-duck delay is over (balancers no longer route new requests here), every open
 * stream is ended on purpose, spread over a window, and the shutdown waits until they
 * have closed. In the report: the streams open at hand-off ("in flight at start"), closed
 * cleanly ("completed"), still open at the deadline ("abandoned", cut by the server's
 * stop), and handed off ("handed back", those that opened while it ran and were handed
 * off as they opened included). With no stream of its kind open when the drain
 * starts, it takes no part: no step in the report.
 */
public final class StreamHandOff implements OptionalParticipant {

	/** Bean and step name of the hand-off of server-sent event streams. */
	public static final String SSE = "sse-streams";

	/** Bean and step name of the hand-off of WebSocket sessions. */
	public static final String WEBSOCKETS = "websockets";

	/** How long, beyond the spread, the server's drain waits for the streams to close. */
	private static final Duration DRAIN_HOLD = Duration.ofSeconds(2);

	private static final Log logger = LogFactory.getLog(StreamHandOff.class);

	private final String name;

	private final OpenStreams streams;

	private final Duration spread;

	/** Where the step's hand-offs are reported, once it has started handing off. */
	private volatile @Nullable Context context;

	/** The hand-offs reported so far (guarded by this). */
	private long reported;

	/**
	 * Create the hand-off of one kind of stream.
	 * @param name its bean and step name
	 * @param streams the open streams
	 * @param spread the window the hand-off is spread over
	 */
	public StreamHandOff(String name, OpenStreams streams, Duration spread) {
		this.name = name;
		this.streams = streams;
		this.spread = spread;
	}

	/**
	 * Return the name of its step.
	 * @return its bean and step name
	 */
	public String name() {
		return this.name;
	}

	/**
	 * Return the open streams.
	 * @return the streams of this kind
	 */
	public OpenStreams streams() {
		return this.streams;
	}

	@Override
	public Start shutdownStart() {
		return Start.AFTER_DELAY;
	}

	/**
	 * The streams are ended before the web server's own graceful shutdown starts, for the
	 * spread and a little more: the server's drain then finds them closed.
	 */
	@Override
	public Duration holdsDrainStart() {
		return this.spread.plus(DRAIN_HOLD);
	}

	@Override
	public boolean takesPart() {
		return this.streams.beginHandOff() > 0;
	}

	@Override
	public void stopAccepting(Context context) throws Exception {
		int open = this.streams.handOffAll(this.spread);
		if (open > 0) {
			logger.info("Graceful shutdown: " + open + " " + this.streams.kind() + " handed off"
					+ (this.spread.isZero() ? "" : " over " + this.spread.toMillis() + " ms"));
		}
		this.context = context;
		reportHandOffs();
	}

	@Override
	public long inFlight() {
		long open = this.streams.count();
		// The drain asks until none is open: streams that opened meanwhile, handed off as
		// they opened, are reported before the step's record.
		reportHandOffs();
		return open;
	}

	private synchronized void reportHandOffs() {
		Context context = this.context;
		long handedOff = this.streams.handedOff();
		if (context != null && handedOff > this.reported) {
			context.handedBack(handedOff - this.reported);
			this.reported = handedOff;
		}
	}

}
