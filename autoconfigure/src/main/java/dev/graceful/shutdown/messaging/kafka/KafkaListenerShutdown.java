package dev.graceful.shutdown.messaging.kafka;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.listener.RecordInterceptor;

import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * Makes every Kafka listener container a shutdown participant, named
 * {@code kafka-listener-<listener id>}, before the containers start.
 * <p>
 * Spring stops listener containers in their own lifecycle phase, above the delay's: one
 * after the other, each finishing its whole last poll, all before the delay even starts,
 * and bounded only by {@code spring.lifecycle.timeout-per-shutdown-phase}, after which
 * beans are destroyed under listeners still running. Here each container is stopped when
 * the shutdown starts instead, all at once and beside the delay; a consumer stops after
 * the record it is processing (the containers are set to stop immediately), the rest of
 * its poll is not committed and goes to the partition's next owner; the shutdown waits
 * for each container until its participant's deadline, before beans are destroyed. When
 * Spring's own phase comes, the containers are already stopped.
 * <p>
 * Record listeners are counted (records in the listener or in an asynchronous result,
 * records handed back); batch listeners are stopped and awaited without counts. An
 * asynchronous result that completes after its consumer has closed is awaited, so its
 * beans are still there, but its offset is not committed: the record is delivered again.
 */
public final class KafkaListenerShutdown implements SmartLifecycle {

	/** Name prefix of each container's step. */
	public static final String STEP_PREFIX = "kafka-listener-";

	private static final Log logger = LogFactory.getLog(KafkaListenerShutdown.class);

	private final ParticipantRunner participants;

	private final ListableBeanFactory beanFactory;

	private final @Nullable AsyncListenerTracking async;

	private final Set<MessageListenerContainer> joined = Collections.newSetFromMap(new IdentityHashMap<>());

	private final List<KafkaListenerParticipant> stoppable = new CopyOnWriteArrayList<>();

	private volatile boolean running;

	/**
	 * Create the step for the Kafka listener containers of a bean factory.
	 * @param participants the runner the containers join
	 * @param progress the record of the shutdown, whose start stops the containers
	 * @param beanFactory where the registry and the container beans are
	 * @param async what counts the results of asynchronous listeners, or {@code null}
	 */
	public KafkaListenerShutdown(ParticipantRunner participants, ShutdownRecorder progress,
			ListableBeanFactory beanFactory, @Nullable AsyncListenerTracking async) {
		this.participants = participants;
		this.beanFactory = beanFactory;
		this.async = async;
		// On the thread that starts the shutdown, before Spring's lifecycle stop: the
		// participants' own threads start a moment later and must not race Spring's stop.
		progress.onBegin(() -> this.stoppable.forEach(KafkaListenerParticipant::requestStop));
	}

	@Override
	public void start() {
		for (MessageListenerContainer container : containers()) {
			synchronized (this.joined) {
				if (!this.joined.add(container)) {
					continue;
				}
			}
			join(container);
		}
		this.running = true;
	}

	private Set<MessageListenerContainer> containers() {
		Set<MessageListenerContainer> containers = new LinkedHashSet<>();
		this.beanFactory.getBeanProvider(KafkaListenerEndpointRegistry.class)
			.forEach((registry) -> containers.addAll(registry.getListenerContainers()));
		containers.addAll(this.beanFactory.getBeansOfType(MessageListenerContainer.class, false, false).values());
		return containers;
	}

	@SuppressWarnings({ "rawtypes", "unchecked" })
	private void join(MessageListenerContainer container) {
		if (!(container instanceof AbstractMessageListenerContainer listenerContainer) || container.isRunning()) {
			return;
		}
		RecordCounting<?, ?> counting = new RecordCounting<>(listenerContainer.getRecordInterceptor(),
				() -> !container.isRunning(), this.async);
		listenerContainer.setRecordInterceptor((RecordInterceptor) counting);
		// Read when each consumer starts: stop after the current record, not the poll.
		listenerContainer.getContainerProperties().setStopImmediate(true);
		KafkaListenerParticipant participant = new KafkaListenerParticipant(container, counting);
		String name = STEP_PREFIX + container.getListenerId();
		if (this.participants.add(name, participant)) {
			this.stoppable.add(participant);
		}
		else {
			logger.warn("Graceful shutdown: Kafka listener container '" + container.getListenerId()
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
	public int getPhase() {
		return AbstractMessageListenerContainer.DEFAULT_PHASE - 1;
	}

}
