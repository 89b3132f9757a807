package dev.graceful.shutdown.messaging.amqp;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.factory.ListableBeanFactory;

import dev.graceful.shutdown.messaging.ListenerContainerShutdown;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * Makes every RabbitMQ listener container a shutdown participant, named
 * {@code rabbit-listener-<listener id>}, before the containers start.
 * <p>
 * Spring stops RabbitMQ listener containers in the highest lifecycle phase, before the
 * delay: each cancels its consumers and keeps working off the messages already
 * prefetched (up to 250 per consumer) for up to its shutdown timeout (5 s, with no Spring
 * Boot property), then interrupts its consumers and closes their channels. Here each
 * container is stopped when the shutdown starts instead, beside the delay; a consumer
 * stops after the message it is processing and the prefetched ones go back to the queue
 * at once (the containers are set to force-stop), and the container's shutdown timeout is
 * the budget, so that only the participant's deadline bounds the wait.
 */
public final class RabbitListenerShutdown extends ListenerContainerShutdown<Object> {

	/** Name prefix of each container's step. */
	public static final String STEP_PREFIX = "rabbit-listener-";

	private final ListableBeanFactory beanFactory;

	private final Duration budget;

	/**
	 * Create the step for the RabbitMQ listener containers of a bean factory.
	 * @param participants the runner the containers join
	 * @param progress the record of the shutdown, whose start stops the containers
	 * @param beanFactory where the registry and the container beans are
	 * @param budget the whole shutdown's budget, the containers' shutdown timeout
	 */
	public RabbitListenerShutdown(ParticipantRunner participants, ShutdownRecorder progress,
			ListableBeanFactory beanFactory, Duration budget) {
		super(participants, progress, STEP_PREFIX, "RabbitMQ");
		this.beanFactory = beanFactory;
		this.budget = budget;
	}

	@Override
	protected Set<Object> containers() {
		// The registry's element type moved between Spring AMQP versions: only the
		// containers' own class is relied on.
		Set<Object> containers = new LinkedHashSet<>();
		this.beanFactory.getBeanProvider(RabbitListenerEndpointRegistry.class)
			.forEach((registry) -> containers.addAll(registry.getListenerContainers()));
		containers
			.addAll(this.beanFactory.getBeansOfType(AbstractMessageListenerContainer.class, false, false).values());
		return containers;
	}

	@Override
	protected void join(Object container) {
		if (!(container instanceof AbstractMessageListenerContainer listenerContainer)
				|| listenerContainer.isRunning()) {
			return;
		}
		// Stop after the current message and requeue the prefetched ones, instead of
		// working them off while the instance goes away.
		listenerContainer.setForceStop(true);
		listenerContainer.setShutdownTimeout(this.budget.toMillis());
		addParticipant(listenerContainer.getListenerId(), new RabbitListenerParticipant(listenerContainer));
	}

	/**
	 * Just below the containers' own phase: started before them, stopped after them.
	 */
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 1;
	}

}
