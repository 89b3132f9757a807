package dev.graceful.shutdown.participant;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ParticipantDrain}.
 */
class ParticipantDrainTests {

	private final ShutdownRecorder progress = new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(10)));

	@Test
	void participantThatStopsAtOnceIsAskedOnTheThreadThatStartsItsShutdownBeforeItsOwnThreadRuns()
			throws Exception {
		Stopping participant = new Stopping(false);
		ParticipantDrain drain = new ParticipantDrain("consumer", participant, this.progress);

		drain.start(Duration.ofSeconds(5), Duration.ofSeconds(1));

		// Asked before start returns, on this thread, not on one it starts.
		assertThat(participant.calls).containsExactly("stopWithoutWaiting on " + Thread.currentThread().getName());
		assertThat(drain.awaitEnd(Duration.ofSeconds(5).toNanos())).isTrue();
		assertThat(participant.calls).hasSize(2);
		assertThat(participant.calls.get(1)).startsWith("stopAccepting on graceful-shutdown-participant-consumer");
	}

	@Test
	void participantThatFailsToBeAskedAtOnceStillHasItsStopAcceptingCalled() throws Exception {
		Stopping participant = new Stopping(true);
		ParticipantDrain drain = new ParticipantDrain("consumer", participant, this.progress);

		drain.start(Duration.ofSeconds(5), Duration.ofSeconds(1));

		assertThat(drain.awaitEnd(Duration.ofSeconds(5).toNanos())).isTrue();
		assertThat(participant.calls).hasSize(2);
		assertThat(participant.calls.get(1)).startsWith("stopAccepting");
	}

	/**
	 * Records on which thread each of its stops is called.
	 */
	static class Stopping implements ImmediateStop {

		final List<String> calls = new CopyOnWriteArrayList<>();

		private final boolean failAtOnce;

		Stopping(boolean failAtOnce) {
			this.failAtOnce = failAtOnce;
		}

		@Override
		public void stopWithoutWaiting() {
			this.calls.add("stopWithoutWaiting on " + Thread.currentThread().getName());
			if (this.failAtOnce) {
				throw new IllegalStateException("not now");
			}
		}

		@Override
		public void stopAccepting(Context context) {
			this.calls.add("stopAccepting on " + Thread.currentThread().getName());
		}

		@Override
		public long inFlight() {
			return 0;
		}

	}

}
