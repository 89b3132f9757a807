package dev.graceful.shutdown.participant;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
import dev.graceful.shutdown.timeline.ShutdownRecording;
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

	/** The participants by name, in order; {@code null} until they are found. */
	private volatile @Nullable Map<String, ShutdownParticipant> found;

	/**
	 * Their drains, created when first needed: by the shutdown, or by whoever asks for
	 * the participants' state while one of them is shown.
	 */
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
		progress.onBegin(this);
	}

	@Override
	protected void onBegin() {
		startAll(Start.WITH_SHUTDOWN);
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
		if (this.found == null) {
			synchronized (this) {
				if (this.found == null) {
					Map<String, ShutdownParticipant> found = this.beanFactory.getBeansOfType(ShutdownParticipant.class,
							false, true);
					this.found = Collections.unmodifiableMap(new LinkedHashMap<>(found));
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
		Map<String, ShutdownParticipant> found = Objects.requireNonNull(this.found);
		if (this.progress.isShuttingDown() || found.containsKey(name)) {
			return false;
		}
		Map<String, ShutdownParticipant> added = new LinkedHashMap<>(found);
		added.put(name, participant);
		this.found = Collections.unmodifiableMap(added);
		List<ParticipantDrain> drains = this.drains;
		if (drains != null) {
			List<ParticipantDrain> more = new ArrayList<>(drains);
			more.add(new ParticipantDrain(name, participant, this.progress));
			this.drains = List.copyOf(more);
		}
		return true;
	}

	/**
	 * The drains of the participants found, created on the first call after they were
	 * found rather than at startup: until the shutdown, nothing but a look at their state
	 * needs them. Before the participants are found there are none.
	 */
	private List<ParticipantDrain> drains() {
		List<ParticipantDrain> drains = this.drains;
		if (drains != null) {
			return drains;
		}
		synchronized (this) {
			drains = this.drains;
			Map<String, ShutdownParticipant> found = this.found;
			if (drains != null || found == null) {
				return (drains != null) ? drains : List.of();
			}
			List<ParticipantDrain> created = new ArrayList<>(found.size());
			for (Map.Entry<String, ShutdownParticipant> entry : found.entrySet()) {
				created.add(new ParticipantDrain(entry.getKey(), entry.getValue(), this.progress));
			}
			drains = List.copyOf(created);
			this.drains = drains;
			return drains;
		}
	}

	/**
	 * Whether no participant can be shown yet without creating the drains: none found, or
	 * only {@link OptionalParticipant optional} ones, which are shown once started, and
	 * none starts before its drain exists.
	 */
	private boolean noneShownYet() {
		if (this.drains != null) {
			return false;
		}
		Map<String, ShutdownParticipant> found = this.found;
		if (found != null) {
			for (ShutdownParticipant participant : found.values()) {
				if (!(participant instanceof OptionalParticipant)) {
					return false;
				}
			}
		}
		return true;
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
		if (noneShownYet()) {
			return List.of();
		}
		// A loop rather than a stream: called at startup (by the meters and the plan), and
		// each lambda costs the startup a class generated for it.
		List<Status> participants = new ArrayList<>();
		for (ParticipantDrain drain : drains()) {
			if (drain.isShown()) {
				participants.add(new Status(drain.name(), drain.participant().shutdownStart(), drain.state().name(),
						drain.inFlight()));
			}
		}
		return List.copyOf(participants);
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
		// Loops rather than a stream: a lambda's method that took a drain would make Spring's
		// reflection over this bean's class load the drain's class at startup.
		List<ParticipantDrain> drains = new ArrayList<>();
		for (ParticipantDrain drain : drains()) {
			drain.start(allowance(), this.cancelGrace);
			if (drain.state() != ParticipantDrain.State.SKIPPED) {
				drains.add(drain);
			}
		}
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
		ShutdownRecording.stepEnded(this.progress, STEP, start, (late > 0) ? Outcome.TIMED_OUT : Outcome.COMPLETED,
				detail);
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
