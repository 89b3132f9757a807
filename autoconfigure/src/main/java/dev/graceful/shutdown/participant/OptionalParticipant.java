package dev.graceful.shutdown.participant;

import java.time.Duration;

import dev.graceful.shutdown.ShutdownParticipant;

/**
 * A participant built into the starter that takes part in a shutdown only if it has
 * something to shut down (the stream hand-off, when no stream is open): otherwise it gets
 * no step, no thread and no place in the plan, the endpoint or the meters.
 */
public interface OptionalParticipant extends ShutdownParticipant {

	/**
	 * Decide, once, when the participant would start, whether it takes part in this
	 * shutdown.
	 * @return whether it takes part; if not, it is not started
	 */
	boolean takesPart();

	/**
	 * Return how long at most the web server's own graceful shutdown waits for this
	 * participant to end, when it starts after the delay. The stream hand-off ends its
	 * streams before the server begins its shutdown: Jetty then shortens every
	 * connection's idle timeout to a second and closes idle WebSockets itself, which
	 * would race the hand-off's own close frames and last chunks.
	 * @return the longest the server's drain is held for it; zero not to hold it
	 */
	default Duration holdsDrainStart() {
		return Duration.ZERO;
	}

}
