package dev.graceful.shutdown.participant;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import dev.graceful.shutdown.ShutdownParticipant;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownRecording;

/**
 * The shutdown of one participant, on a thread of its own: {@code stopAccepting} on
 * another thread (it may hang), then waiting for the work in flight to reach zero, all
 * bounded by the participant's deadline; at the deadline {@code cancel}, bounded by the
 * grace. Every wait here is timed, so the supervising thread always ends by the deadline
 * plus the grace, whatever the participant does.
 */
final class ParticipantDrain {

	private static final Log logger = LogFactory.getLog(ParticipantDrain.class);

	private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

	private final String name;

	private final ShutdownParticipant participant;

	private final ShutdownRecorder progress;

	private final CountDownLatch ended = new CountDownLatch(1);

	private final LongAdder handedBack = new LongAdder();

	private volatile State state = State.WAITING;

	private volatile long deadlineNanos;

	ParticipantDrain(String name, ShutdownParticipant participant, ShutdownRecorder progress) {
		this.name = name;
		this.participant = participant;
		this.progress = progress;
	}

	String name() {
		return this.name;
	}

	ShutdownParticipant participant() {
		return this.participant;
	}

	State state() {
		return this.state;
	}

	/**
	 * Start the participant's shutdown, once; an {@link OptionalParticipant} that does not
	 * take part is skipped instead.
	 * @param timeout how long it may take
	 * @param cancelGrace how long {@code cancel} and the work it stops may take
	 */
	synchronized void start(Duration timeout, Duration cancelGrace) {
		if (this.state != State.WAITING) {
			return;
		}
		// Taking part begins an optional participant's shutdown (the stream hand-off hands
		// off, from then on, each stream as it becomes ready): what it has in flight is read
		// before, so that work ended meanwhile counts as in flight at the start and
		// completed. Any other participant's is read on its own thread (it may hang).
		Long atStart = (this.participant instanceof OptionalParticipant) ? inFlight() : null;
		if (this.participant instanceof OptionalParticipant optional && !takesPart(optional)) {
			this.state = State.SKIPPED;
			return;
		}
		this.state = State.STOPPING;
		long start = System.nanoTime();
		this.deadlineNanos = start + timeout.toNanos();
		if (this.participant instanceof ImmediateStop immediate) {
			try {
				immediate.stopWithoutWaiting();
			}
			catch (Throwable ex) {
				// Its stopAccepting asks again, on its own thread, and reports the failure.
				logger.debug("Graceful shutdown: participant '" + this.name + "' could not be asked to stop at once",
						ex);
			}
		}
		Thread supervisor = new Thread(() -> run(start, atStart, timeout, cancelGrace),
				"graceful-shutdown-participant-" + this.name);
		supervisor.setDaemon(true);
		supervisor.start();
	}

	/**
	 * Return whether the participant is shown (in the plan, the endpoint, the meters): an
	 * {@link OptionalParticipant} only once it has started.
	 * @return whether it is shown
	 */
	boolean isShown() {
		return !(this.participant instanceof OptionalParticipant) || (this.state != State.WAITING
				&& this.state != State.SKIPPED);
	}

	private boolean takesPart(OptionalParticipant optional) {
		try {
			return optional.takesPart();
		}
		catch (Throwable ex) {
			logger.warn("Graceful shutdown: participant '" + this.name + "' could not tell whether it takes part", ex);
			return true;
		}
	}

	/**
	 * Wait for the participant to end, until the given time at most.
	 * @param untilNanos the {@link System#nanoTime()} to wait until at most
	 * @return whether it has ended
	 * @throws InterruptedException if interrupted while waiting
	 */
	boolean awaitEndUntil(long untilNanos) throws InterruptedException {
		if (this.state == State.SKIPPED || this.state == State.WAITING) {
			return true;
		}
		return this.ended.await(Math.max(0, untilNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
	}

	/**
	 * Wait for the participant's shutdown to end.
	 * @param graceNanos how long past its deadline to wait at most
	 * @return whether it ended
	 * @throws InterruptedException if interrupted while waiting
	 */
	boolean awaitEnd(long graceNanos) throws InterruptedException {
		if (this.state == State.SKIPPED) {
			return true;
		}
		long wait = this.deadlineNanos + graceNanos - System.nanoTime();
		return this.ended.await(Math.max(0, wait), TimeUnit.NANOSECONDS);
	}

	private void run(long start, @Nullable Long atStart, Duration timeout, Duration cancelGrace) {
		try {
			Phase phase = drain(start, (atStart != null) ? atStart : inFlight(), timeout, cancelGrace);
			logger.info("Graceful shutdown: participant '" + this.name + "' ended after " + phase.durationMs() + " ms ("
					+ phase.outcome() + ": " + phase.detail() + ")");
		}
		catch (Throwable ex) {
			logger.warn("Graceful shutdown: participant '" + this.name + "' could not be shut down", ex);
		}
		finally {
			this.state = State.ENDED;
			this.ended.countDown();
		}
	}

	private Phase drain(long start, long atStart, Duration timeout, Duration cancelGrace)
			throws InterruptedException {
		logger.info("Graceful shutdown: participant '" + this.name + "' stops accepting, "
				+ ((atStart >= 0) ? atStart + " in flight, " : "") + "up to " + timeout.toMillis() + " ms");
		AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
		Context context = new Context(Instant.now().plus(timeout));
		Thread stopping = new Thread(() -> {
			try {
				this.participant.stopAccepting(context);
			}
			catch (Throwable ex) {
				failure.set(ex);
			}
		}, "graceful-shutdown-participant-" + this.name + "-stop");
		stopping.setDaemon(true);
		stopping.start();
		stopping.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(this.deadlineNanos - System.nanoTime())));
		Throwable ex = failure.get();
		if (ex != null) {
			logger.warn("Graceful shutdown: participant '" + this.name + "' failed to stop accepting", ex);
			long remaining = inFlight();
			return record(start, Outcome.FAILED, "stopAccepting failed: " + ex.getClass().getName(), atStart,
					remaining, remaining);
		}
		boolean stopped = !stopping.isAlive();
		if (stopped) {
			this.state = State.DRAINING;
			awaitIdle(this.deadlineNanos);
		}
		long remaining = inFlight();
		if (stopped && remaining <= 0) {
			return record(start, Outcome.COMPLETED, null, atStart, 0, 0);
		}
		// The deadline: stop what is left, give it the grace, report what is still there.
		this.state = State.CANCELLING;
		long graceEnd = System.nanoTime() + cancelGrace.toNanos();
		cancel(stopping, graceEnd);
		if (remaining > 0) {
			awaitIdle(graceEnd);
		}
		String problem = stopped ? null
				: "stopAccepting did not return within " + timeout.toMillis() + " ms"
						+ (stopping.isAlive() ? "; interrupted and abandoned" : "; ended after interrupt");
		return record(start, Outcome.TIMED_OUT, problem, atStart, remaining, inFlight());
	}

	private void cancel(Thread stopping, long graceEnd) throws InterruptedException {
		stopping.interrupt();
		Thread cancelling = new Thread(() -> {
			try {
				this.participant.cancel();
			}
			catch (Throwable ex) {
				logger.warn("Graceful shutdown: participant '" + this.name + "' failed to cancel", ex);
			}
		}, "graceful-shutdown-participant-" + this.name + "-cancel");
		cancelling.setDaemon(true);
		cancelling.start();
		cancelling.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(graceEnd - System.nanoTime())));
	}

	private void awaitIdle(long untilNanos) throws InterruptedException {
		// Polled: a participant reports a number, not an event. From 1 ms up to 20 ms, so
		// that quick work ends the wait quickly and slow work costs little.
		long pause = TimeUnit.MILLISECONDS.toNanos(1);
		long now;
		while (inFlight() > 0 && (now = System.nanoTime()) - untilNanos < 0) {
			TimeUnit.NANOSECONDS.sleep(Math.min(pause, untilNanos - now));
			pause = Math.min(pause * 2, MAX_POLL_NANOS);
		}
	}

	/**
	 * Return what the participant says is in flight.
	 * @return the number in flight, or {@link ShutdownParticipant#UNKNOWN} if it does not
	 * say or fails to
	 */
	long inFlight() {
		try {
			return this.participant.inFlight();
		}
		catch (Throwable ex) {
			return ShutdownParticipant.UNKNOWN;
		}
	}

	/**
	 * Record the participant's step.
	 * @param atDeadline what was in flight when it stopped waiting (at its deadline, or
	 * when it failed)
	 * @param atEnd what was still in flight once the cancelled work had its grace
	 */
	private Phase record(long start, Outcome outcome, @Nullable String problem, long atStart, long atDeadline,
			long atEnd) {
		long handedBack = this.handedBack.sum();
		Counts counts = null;
		StringBuilder detail = new StringBuilder();
		if (atStart >= 0) {
			long abandoned = Math.max(0, atEnd);
			long cancelled = Math.max(0, atDeadline - abandoned);
			long completed = Math.max(0, atStart - cancelled - abandoned);
			counts = new Counts(atStart, completed, cancelled, abandoned, handedBack);
			detail.append(atStart).append(" in flight at start, ").append(completed).append(" completed, ");
			if (cancelled > 0) {
				detail.append(cancelled).append(" cancelled, ");
			}
			detail.append(abandoned).append(" abandoned");
			if (handedBack > 0) {
				detail.append(", ").append(handedBack).append(" handed back");
			}
		}
		else if (handedBack > 0) {
			counts = new Counts(0, 0, 0, 0, handedBack);
			detail.append(handedBack).append(" handed back");
		}
		if (problem != null) {
			detail.append((detail.length() > 0) ? "; " : "").append(problem);
		}
		if (detail.length() == 0) {
			detail.append("stopped accepting");
		}
		return ShutdownRecording.stepEnded(this.progress, this.name, start, outcome, detail.toString(), counts);
	}

	/**
	 * Where a participant is in its shutdown.
	 */
	enum State {

		/** Its shutdown has not started. */
		WAITING,

		/** It does not take part in this shutdown (an optional participant). */
		SKIPPED,

		/** {@code stopAccepting} is running. */
		STOPPING,

		/** Waiting for its work in flight. */
		DRAINING,

		/** Its deadline has come: {@code cancel} is running. */
		CANCELLING,

		/** Its shutdown has ended. */
		ENDED

	}

	private final class Context implements ShutdownParticipant.Context {

		private final Instant deadline;

		private Context(Instant deadline) {
			this.deadline = deadline;
		}

		@Override
		public Instant deadline() {
			return this.deadline;
		}

		@Override
		public Duration remaining() {
			long nanos = ParticipantDrain.this.deadlineNanos - System.nanoTime();
			return (nanos > 0) ? Duration.ofNanos(nanos) : Duration.ZERO;
		}

		@Override
		public void handedBack(long count) {
			ParticipantDrain.this.handedBack.add(count);
		}

	}

}
