package dev.graceful.shutdown.participant;

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

}
