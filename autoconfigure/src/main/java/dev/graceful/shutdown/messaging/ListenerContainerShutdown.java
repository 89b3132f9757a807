package dev.graceful.shutdown.messaging;

import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.SmartLifecycle;

import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * Makes every listener container of one messaging kind a shutdown participant, named
 * with the kind's step prefix and the listener id, before the containers start; the
 * participants are asked to stop when the shutdown starts.
 *
 * @param <C> the type the containers are found as
 */
public abstract class ListenerContainerShutdown<C> implements SmartLifecycle {

	private final Log logger = LogFactory.getLog(getClass());

	private final ParticipantRunner participants;

	private final String stepPrefix;

	private final String kind;

	private final Set<Object> joined = Collections.newSetFromMap(new IdentityHashMap<>());

	private final List<ListenerContainerParticipant> stoppable = new CopyOnWriteArrayList<>();

	private volatile boolean running;

	/**
	 * Create the step for the listener containers of one kind.
	 * @param participants the runner the containers join
	 * @param progress the record of the shutdown, whose start stops the containers
	 * @param stepPrefix the name prefix of each container's step
	 * @param kind the messaging system's name, as logged
	 */
	protected ListenerContainerShutdown(ParticipantRunner participants, ShutdownRecorder progress,
			String stepPrefix, String kind) {
		this.participants = participants;
		this.stepPrefix = stepPrefix;
		this.kind = kind;
		// On the thread that starts the shutdown, before Spring's lifecycle stop: the
		// participants' own threads start a moment later and must not race Spring's stop.
		progress.onBegin(() -> this.stoppable.forEach(ListenerContainerParticipant::requestStop));
	}

	@Override
	public void start() {
		for (C container : containers()) {
			synchronized (this.joined) {
				if (!this.joined.add(container)) {
					continue;
				}
			}
			join(container);
		}
		this.running = true;
	}

	/**
	 * Return the containers there are now, each joined once however often it is found.
	 * @return the containers of the registries and the container beans
	 */
	protected abstract Collection<? extends C> containers();

	/**
	 * Make a container not yet running a participant, through
	 * {@link #addParticipant(String, ListenerContainerParticipant)}.
	 * @param container a container seen for the first time
	 */
	protected abstract void join(C container);

	/**
	 * Add a container's participant to the runner as the step
	 * {@code <step prefix><listener id>}, or leave the container to Spring.
	 * @param listenerId the container's listener id
	 * @param participant the container's participant
	 */
	protected final void addParticipant(String listenerId, ListenerContainerParticipant participant) {
		if (this.participants.add(this.stepPrefix + listenerId, participant)) {
			this.stoppable.add(participant);
		}
		else {
			this.logger.warn("Graceful shutdown: " + this.kind + " listener container '" + listenerId
					+ "' is not a shutdown participant (name taken or shutdown started); Spring stops it");
		}
	}

	@Override
	public void stop() {
		this.running = false;
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/**
	 * Just below the containers' own phase: started before them, stopped after them.
	 */
	@Override
	public abstract int getPhase();

}
