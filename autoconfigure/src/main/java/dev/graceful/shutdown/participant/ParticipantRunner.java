package dev.graceful.shutdown.participant;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;

import dev.graceful.shutdown.ShutdownParticipant;
import dev.graceful.shutdown.ShutdownParticipant.Start;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.timeline.ShutdownLifecycle;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownTimeline;

/**
 * Runs the {@link ShutdownParticipant shutdown participants}: those that start with the
 * shutdown when it starts, those that start after the delay when the HTTP drain starts
 * ({@link #starter()}), each on a thread of its own and in parallel, each until its
 * deadline at most; after the HTTP drain the shutdown waits here for all of them
 * ({@link ShutdownTimeline#PARTICIPANTS}). Each participant is recorded as a step named
 * after its bean.
 */
public final class ParticipantRunner extends ShutdownLifecycle implements SmartInitializingSingleton {

	/** Name of the step that waits for the participants. */
	public static final String STEP = "participants";

	private static final Log logger = LogFactory.getLog(ParticipantRunner.class);

	/** How long past a participant's deadline and grace the wait for it goes on. */
	private static final long JOIN_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

	private final ShutdownRecorder progress;

	private final ListableBeanFactory beanFactory;

	private final @Nullable Duration timeout;

	private final Duration cancelGrace;

	private final Duration reserve;

	private final Starter starter;

	private volatile @Nullable List<ParticipantDrain> drains;

	/**
	 * Create a runner for the participant beans of a bean factory.
	 * @param progress the record of the shutdown
	 * @param beanFactory where the participants are
	 * @param timeout how long each participant may take, or {@code null} for as long as
	 * the budget allows
	 * @param cancelGrace how long a participant's cancellation may take
	 * @param reserve what the steps after the participants keep of the budget
	 */
	public ParticipantRunner(ShutdownRecorder progress, ListableBeanFactory beanFactory, @Nullable Duration timeout,
			Duration cancelGrace, Duration reserve) {
		super(ShutdownTimeline.PARTICIPANTS, progress);
		this.progress = progress;
		this.beanFactory = beanFactory;
		this.timeout = timeout;
		this.cancelGrace = cancelGrace;
		this.reserve = reserve;
		this.starter = new Starter(progress);
		progress.onBegin(() -> startAll(Start.WITH_SHUTDOWN));
	}

	@Override
	public void afterSingletonsInstantiated() {
		resolve();
	}

	/**
	 * Find the participants. Called once every singleton exists, by this runner or by
	 * whoever needs them first then (a meter binder); later calls have no effect. Until
	 * then there are none: a shutdown during startup never looks beans up.
	 */
	public void resolve() {
		if (this.drains == null) {
			synchronized (this) {
				if (this.drains == null) {
					List<ParticipantDrain> found = new ArrayList<>();
					for (Map.Entry<String, ShutdownParticipant> entry : this.beanFactory
						.getBeansOfType(ShutdownParticipant.class, false, true)
						.entrySet()) {
						found.add(new ParticipantDrain(entry.getKey(), entry.getValue(), this.progress));
					}
					this.drains = List.copyOf(found);
				}
			}
		}
	}

	/**
	 * Add a participant that exists only once the application has started (a message
	 * listener container made by a registry when the singletons exist), before the
	 * shutdown begins. A name already taken, or a shutdown already begun, leaves it out.
	 * @param name the name of its step
	 * @param participant the participant
	 * @return whether it was added
	 */
	public synchronized boolean add(String name, ShutdownParticipant participant) {
		resolve();
		List<ParticipantDrain> drains = drains();
		if (this.progress.isShuttingDown() || drains.stream().anyMatch((drain) -> drain.name().equals(name))) {
			return false;
		}
		List<ParticipantDrain> added = new ArrayList<>(drains);
		added.add(new ParticipantDrain(name, participant, this.progress));
		this.drains = List.copyOf(added);
		return true;
	}

	private List<ParticipantDrain> drains() {
		List<ParticipantDrain> drains = this.drains;
		return (drains != null) ? drains : List.of();
	}

	/**
	 * Return the lifecycle that starts the participants that start after the delay.
	 * @return the starter, to be registered as a bean of its own
	 */
	public Starter starter() {
		return this.starter;
	}

	/**
	 * Return the participants, as they are now.
	 * @return name, start, state and work in flight of each participant
	 */
	public List<Status> participants() {
		return drains().stream()
			.filter(ParticipantDrain::isShown)
			.map((drain) -> new Status(drain.name(), drain.participant().shutdownStart(), drain.state().name(),
					drain.inFlight()))
			.toList();
	}

	/**
	 * Return how long a participant may take if it started now: its timeout, capped by
	 * what the budget leaves after the steps that follow.
	 * @return the time the participant is given
	 */
	Duration allowance() {
		Duration own = (this.timeout != null) ? this.timeout : this.progress.budget().remaining();
		return this.progress.budget().cap(own, this.reserve);
	}

	private void startAll(Start start) {
		for (ParticipantDrain drain : drains()) {
			if (drain.participant().shutdownStart() == start) {
				drain.start(allowance(), this.cancelGrace);
			}
		}
	}

	@Override
	protected void onShutdown() {
		// Any not started yet (a participant that changed its mind about its start) starts now.
		for (ParticipantDrain drain : drains()) {
			drain.start(allowance(), this.cancelGrace);
		}
		List<ParticipantDrain> drains = drains().stream()
			.filter((drain) -> drain.state() != ParticipantDrain.State.SKIPPED)
			.toList();
		if (drains.isEmpty()) {
			return;
		}
		long start = this.progress.stepStarted(STEP);
		this.progress.setActivity("waiting for " + drains.size() + " participant(s)");
		int late = 0;
		long grace = this.cancelGrace.toNanos() + JOIN_MARGIN_NANOS;
		try {
			for (ParticipantDrain drain : drains) {
				if (!drain.awaitEnd(grace)) {
					late++;
					logger.warn("Graceful shutdown: participant '" + drain.name()
							+ "' still has not ended; going on without it");
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		this.progress.setActivity(null);
		String detail = drains.size() + " participant(s)" + ((late > 0) ? ", " + late + " not ended" : ", all ended");
		this.progress.stepEnded(STEP, start, (late > 0) ? Outcome.TIMED_OUT : Outcome.COMPLETED, detail);
	}

	/**
	 * What a participant is doing.
	 *
	 * @param name its bean name
	 * @param start when its shutdown starts
	 * @param state where it is in its shutdown: {@code WAITING}, {@code STOPPING},
	 * {@code DRAINING}, {@code CANCELLING} or {@code ENDED}
	 * @param inFlight the work it has in flight, or {@link ShutdownParticipant#UNKNOWN}
	 */
	public record Status(String name, Start start, String state, long inFlight) {
	}

	/**
	 * Starts the participants that start after the delay, in the lifecycle phase just
	 * above the HTTP drain.
	 */
	public final class Starter extends ShutdownLifecycle {

		private Starter(ShutdownRecorder progress) {
			super(ShutdownTimeline.DRAIN_START, progress);
		}

		@Override
		protected void onShutdown() {
			long start = System.nanoTime();
			startAll(Start.AFTER_DELAY);
			holdDrainStart(start);
		}

		/**
		 * Wait for the participants that end before the server's drain (the stream
		 * hand-off), each until its bound at most.
		 */
		private void holdDrainStart(long start) {
			try {
				for (ParticipantDrain drain : drains()) {
					if (drain.participant() instanceof OptionalParticipant optional
							&& optional.shutdownStart() == Start.AFTER_DELAY
							&& !optional.holdsDrainStart().isZero()) {
						long until = start + ParticipantRunner.this.progress.budget()
							.cap(optional.holdsDrainStart(), Duration.ZERO)
							.toNanos();
						if (!drain.awaitEndUntil(until)) {
							logger.info("Graceful shutdown: participant '" + drain.name()
									+ "' has not ended yet; the web server's drain starts beside it");
						}
					}
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}

	}

}
