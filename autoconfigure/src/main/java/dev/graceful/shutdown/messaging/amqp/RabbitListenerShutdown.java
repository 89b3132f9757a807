package dev.graceful.shutdown.messaging.amqp;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.amqp.core.MessageListener;
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
 * <p>
 * Simple and direct containers are counted: messages in the listener (each message of a
 * batch), and messages handed back: delivered to a consumer stopped by the shutdown and
 * never given to its listener, as counted by {@link RabbitDeliveryCounting} (per delivery:
 * a delivery a producer batched counts once). A message the broker sends in the moment a
 * consumer's channel closes is requeued without being counted; without the delivery
 * counting, or for a connection opened before it was set up, nothing is reported handed
 * back.
 */
public final class RabbitListenerShutdown extends ListenerContainerShutdown<Object> {

	/** Name prefix of each container's step. */
	public static final String STEP_PREFIX = "rabbit-listener-";

	private final ListableBeanFactory beanFactory;

	private final Duration budget;

	private final @Nullable RabbitDeliveryCounting deliveries;

	/**
	 * Create the step for the RabbitMQ listener containers of a bean factory.
	 * @param participants the runner the containers join
	 * @param progress the record of the shutdown, whose start stops the containers
	 * @param beanFactory where the registry and the container beans are
	 * @param budget the whole shutdown's budget, the containers' shutdown timeout
	 * @param deliveries what counts the messages delivered to the consumers, or
	 * {@code null}
	 */
	public RabbitListenerShutdown(ParticipantRunner participants, ShutdownRecorder progress,
			ListableBeanFactory beanFactory, Duration budget, @Nullable RabbitDeliveryCounting deliveries) {
		super(participants, progress, STEP_PREFIX, "RabbitMQ");
		this.beanFactory = beanFactory;
		this.budget = budget;
		this.deliveries = deliveries;
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
		MessageCounting counting = new MessageCounting(this.deliveries);
		// The advice chain is fixed by now; the listener is read for each message.
		MessageListener listener = listenerContainer.getMessageListener();
		if (listener != null) {
			try {
				listenerContainer.setMessageListener(counting.wrap(listener));
			}
			catch (IllegalArgumentException ex) {
				// Interfaces a proxy cannot have (not visible from the listener's class
				// loader): the container keeps its listener, its steps have no counts.
			}
		}
		addParticipant(listenerContainer.getListenerId(), new RabbitListenerParticipant(listenerContainer, counting));
	}

	/**
	 * Just below the containers' own phase: started before them, stopped after them.
	 */
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 1;
	}

}
