package dev.graceful.shutdown.streams;

import java.util.Map;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownListener;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Phase;

/**
 * Micrometer meters of the long-lived streams, each tagged with {@code kind} ({@code sse}
 * or {@code websocket}):
 * <ul>
 * <li>{@value #OPEN} gauge: streams open now;</li>
 * <li>{@value #HANDED_OFF} counter: streams ended on purpose by the shutdown (last event
 * and clean end, close frame 1001);</li>
 * <li>{@value #CLOSED} counter: streams open at hand-off that closed before the
 * deadline;</li>
 * <li>{@value #CUT} counter: streams still open at the deadline, left to be cut by the
 * server's stop.</li>
 * </ul>
 */
public final class StreamMeters implements MeterBinder, ShutdownListener {

	/** Gauge of the streams open. */
	public static final String OPEN = "graceful.shutdown.streams.open";

	/** Counter of the streams handed off. */
	public static final String HANDED_OFF = "graceful.shutdown.streams.handed.off";

	/** Counter of the streams that closed after their hand-off, before the deadline. */
	public static final String CLOSED = "graceful.shutdown.streams.closed";

	/** Counter of the streams still open at the deadline. */
	public static final String CUT = "graceful.shutdown.streams.cut";

	private final Map<String, StreamHandOff> handOffs;

	private volatile @Nullable MeterRegistry registry;

	/**
	 * Create the meters.
	 * @param handOffs the hand-off of each kind of stream, by {@code kind} tag
	 */
	public StreamMeters(Map<String, StreamHandOff> handOffs) {
		this.handOffs = Map.copyOf(handOffs);
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		// Loops rather than lambdas: the meters are bound at startup, and each lambda costs
		// the startup a class generated for it.
		for (Map.Entry<String, StreamHandOff> handOff : this.handOffs.entrySet()) {
			String kind = handOff.getKey();
			OpenStreams streams = handOff.getValue().streams();
			Gauge.builder(OPEN, streams, OpenStreams::count)
				.description("Long-lived streams open")
				.tag("kind", kind)
				.register(registry);
			FunctionCounter.builder(HANDED_OFF, streams, OpenStreams::handedOff)
				.description("Long-lived streams ended on purpose by the shutdown")
				.tag("kind", kind)
				.register(registry);
		}
		this.registry = registry;
	}

	@Override
	public void stepEnded(Phase phase) {
		MeterRegistry registry = this.registry;
		Counts counts = phase.counts();
		if (registry == null || counts == null) {
			return;
		}
		for (Map.Entry<String, StreamHandOff> handOff : this.handOffs.entrySet()) {
			String kind = handOff.getKey();
			if (phase.name().equals(handOff.getValue().name())) {
				Counter.builder(CLOSED)
					.description("Long-lived streams closed after their hand-off, before the deadline")
					.tag("kind", kind)
					.register(registry)
					.increment(counts.completed());
				Counter.builder(CUT)
					.description("Long-lived streams still open at the deadline")
					.tag("kind", kind)
					.register(registry)
					.increment(counts.cancelled() + counts.abandoned());
			}
		}
	}

}
