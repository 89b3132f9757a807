package dev.graceful.shutdown;

import java.time.Duration;
import java.time.Instant;

/**
 * A component of yours that takes work from outside the application (a message
 * consumer, a queue poller, a socket or gRPC server) and must stop taking it, and finish
 * what it holds, when the application shuts down. Every bean of this type becomes a step
 * of the shutdown of its own, named after the bean, with its timing, outcome and counts
 * in the log, the report, the {@code gracefulshutdown} endpoint and the meters, like the
 * built-in steps.
 * <p>
 * What the starter does with a participant:
 * <ol>
 * <li>At its {@link #shutdownStart() start} (when the shutdown starts, beside the
 * lame-duck delay, or once the delay is over, beside the HTTP drain) it reads
 * {@link #inFlight()} and calls {@link #stopAccepting(Context)} on a thread of its own.
 * Participants run in parallel with each other and with the timeline: the delay is
 * wall-clock time they use, not wait behind.</li>
 * <li>Once {@code stopAccepting} has returned, it waits until {@link #inFlight()} is
 * zero, or until the {@link Context#deadline() deadline}:
 * {@code graceful.shutdown.participants.timeout} from the participant's start if set,
 * and never later than what the budget ({@code graceful.shutdown.timeout}) leaves once
 * the background work and the cleanups have their share.</li>
 * <li>At the deadline, with work still in flight or {@code stopAccepting} still running,
 * it calls {@link #cancel()}, interrupts the thread that runs {@code stopAccepting}, waits
 * {@code graceful.shutdown.participants.cancel-grace}, and reports what is still in
 * flight as abandoned.</li>
 * <li>After the HTTP drain, before the background work is awaited and the cleanups run,
 * the shutdown waits for every participant, each until its deadline at most.</li>
 * </ol>
 * A participant that throws (anything, an {@link Error} included) is recorded as failed,
 * one that hangs is abandoned at its deadline; neither holds the others or the rest of
 * the shutdown past the budget.
 * <pre class="code">
 * &#64;Component("job-consumer")
 * class JobConsumer implements ShutdownParticipant {
 *
 *     public Start shutdownStart() {
 *         return Start.WITH_SHUTDOWN;      // stop polling at once, beside the delay
 *     }
 *
 *     public void stopAccepting(Context context) {
 *         this.polling = false;            // finish the jobs taken, take no more
 *     }
 *
 *     public long inFlight() {
 *         return this.running.get();       // the shutdown waits for zero
 *     }
 *
 * }
 * </pre>
 */
public interface ShutdownParticipant {

	/**
	 * Value of {@link #inFlight()} for a participant that does not count its work: the
	 * shutdown then waits only for {@link #stopAccepting(Context)} to return.
	 */
	long UNKNOWN = -1;

	/**
	 * Return when this participant's shutdown starts.
	 * @return {@link Start#AFTER_DELAY} unless overridden
	 */
	default Start shutdownStart() {
		return Start.AFTER_DELAY;
	}

	/**
	 * Stop taking new work. Called once, on a thread of its own, when the participant's
	 * shutdown starts. It may return at once and let the shutdown wait for
	 * {@link #inFlight()} to reach zero, or wait for its work itself (until
	 * {@link Context#deadline()}: it is interrupted then).
	 * @param context the deadline and what the participant can report
	 * @throws Exception on failure: recorded, and the shutdown goes on
	 */
	void stopAccepting(Context context) throws Exception;

	/**
	 * Return how many units of work are in flight now: taken, not finished. Called from
	 * other threads (the shutdown, the Actuator endpoint, a meter), so it must be cheap
	 * and thread-safe.
	 * @return the number in flight, or {@link #UNKNOWN}
	 */
	default long inFlight() {
		return UNKNOWN;
	}

	/**
	 * Stop the remaining work now: the deadline has come with work still in flight.
	 * Interrupt your workers, close what they read from, hand back what was not started.
	 * Bounded by {@code graceful.shutdown.participants.cancel-grace}.
	 * @throws Exception on failure: recorded, and the shutdown goes on
	 */
	default void cancel() throws Exception {
	}

	/**
	 * When a participant's shutdown starts.
	 */
	enum Start {

		/**
		 * When the shutdown starts: readiness goes down and the participant stops taking
		 * work at the same moment, beside the lame-duck delay. For work that does not
		 * reach the application through the load balancers: message consumers, queue
		 * pollers, schedulers of your own.
		 */
		WITH_SHUTDOWN,

		/**
		 * Once the lame-duck delay is over, beside the HTTP drain: the participant keeps
		 * taking work while balancers stop routing to the instance. For servers of your
		 * own that balancers route to: a gRPC or socket server.
		 */
		AFTER_DELAY

	}

	/**
	 * What a participant is given when its shutdown starts.
	 */
	interface Context {

		/**
		 * Return when the participant's time is up: then {@link #cancel()} is called and
		 * the thread running {@link #stopAccepting(Context)} is interrupted.
		 * @return the deadline
		 */
		Instant deadline();

		/**
		 * Return how long until the {@link #deadline()}.
		 * @return the time left, never negative
		 */
		Duration remaining();

		/**
		 * Report units of work given back unprocessed, for another instance to take
		 * (for example messages fetched but not started, returned to the broker). Adds up
		 * over calls; shown with the participant's counts.
		 * @param count the number handed back
		 */
		void handedBack(long count);

	}

}
