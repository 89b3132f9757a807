package dev.graceful.shutdown.messaging.kafka;

import java.util.LinkedHashSet;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.AbstractMessageListenerContainer;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.kafka.listener.RecordInterceptor;

import dev.graceful.shutdown.messaging.ListenerContainerShutdown;
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
public final class KafkaListenerShutdown extends ListenerContainerShutdown<MessageListenerContainer> {

	/** Name prefix of each container's step. */
	public static final String STEP_PREFIX = "kafka-listener-";

	private final ListableBeanFactory beanFactory;

	private final @Nullable AsyncListenerTracking async;

	/**
	 * Create the step for the Kafka listener containers of a bean factory.
	 * @param participants the runner the containers join
	 * @param progress the record of the shutdown, whose start stops the containers
	 * @param beanFactory where the registry and the container beans are
	 * @param async what counts the results of asynchronous listeners, or {@code null}
	 */
	public KafkaListenerShutdown(ParticipantRunner participants, ShutdownRecorder progress,
			ListableBeanFactory beanFactory, @Nullable AsyncListenerTracking async) {
		super(participants, progress, STEP_PREFIX, "Kafka");
		this.beanFactory = beanFactory;
		this.async = async;
	}

	@Override
	protected Set<MessageListenerContainer> containers() {
		Set<MessageListenerContainer> containers = new LinkedHashSet<>();
		this.beanFactory.getBeanProvider(KafkaListenerEndpointRegistry.class)
			.forEach((registry) -> containers.addAll(registry.getListenerContainers()));
		containers.addAll(this.beanFactory.getBeansOfType(MessageListenerContainer.class, false, false).values());
		return containers;
	}

	@Override
	@SuppressWarnings({ "rawtypes", "unchecked" })
	protected void join(MessageListenerContainer container) {
		if (!(container instanceof AbstractMessageListenerContainer listenerContainer) || container.isRunning()) {
			return;
		}
		RecordCounting<?, ?> counting = new RecordCounting<>(listenerContainer.getRecordInterceptor(),
				() -> !container.isRunning(), this.async);
		listenerContainer.setRecordInterceptor((RecordInterceptor) counting);
		// Read when each consumer starts: stop after the current record, not the poll.
		listenerContainer.getContainerProperties().setStopImmediate(true);
		addParticipant(container.getListenerId(), new KafkaListenerParticipant(container, counting));
	}

	/**
	 * Just below the containers' own phase: started before them, stopped after them.
	 */
	@Override
	public int getPhase() {
		return AbstractMessageListenerContainer.DEFAULT_PHASE - 1;
	}

}
