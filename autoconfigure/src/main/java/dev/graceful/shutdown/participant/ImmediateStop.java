package dev.graceful.shutdown.participant;

import dev.graceful.shutdown.ShutdownParticipant;

/**
 * A participant built into the starter whose stop begins with a request that returns at
 * once (a Kafka listener container asked to stop after the record in its listener): the
 * request is made on the thread that starts the participant's shutdown, before the
 * participant's own threads are started, so that no message is taken in between. Its
 * {@link #stopAccepting(Context)} then waits for what the request began.
 */
public interface ImmediateStop extends ShutdownParticipant {

	/**
	 * Ask the participant to stop, without waiting. Called once, before
	 * {@link #stopAccepting(Context)}; a request that fails is made again there, which
	 * reports the failure.
	 */
	void stopWithoutWaiting();

}
