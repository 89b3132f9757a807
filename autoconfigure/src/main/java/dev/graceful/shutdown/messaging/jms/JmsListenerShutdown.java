package dev.graceful.shutdown.messaging.jms;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.jms.config.JmsListenerEndpointRegistry;
import org.springframework.jms.listener.AbstractMessageListenerContainer;
import org.springframework.jms.listener.MessageListenerContainer;

import dev.graceful.shutdown.messaging.ListenerContainerShutdown;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

/**
 * Makes every JMS listener container a shutdown participant, named
 * {@code jms-listener-<container id or bean name>}, before the containers start.
 * <p>
 * Spring stops JMS listener containers in the highest lifecycle phase, before the delay:
 * a default container lets the message in its listener finish, its consumers notice the
 * stop within their receive timeout (1 s), and the rest of the shutdown, the delay
 * included, waits for them. Here each container is stopped when the shutdown starts
 * instead, all at once and beside the delay; the shutdown waits for each until its
 * participant's deadline. When Spring's own phase comes, the containers are already
 * stopped. A simple container's stop waits for the message in its listener, and so does
 * Spring's own stop of it in its phase: with a message in a simple container's listener,
 * the delay still starts only when the message is done.
 * <p>
 * Messages in the listener are counted (in flight at the start, completed). Nothing is
 * reported handed back: what a consumer's JMS client buffered and never gave the
 * listener is not visible to Spring, and goes back to the queue when the consumer closes.
 */
public final class JmsListenerShutdown extends ListenerContainerShutdown<MessageListenerContainer> {

	/** Name prefix of each container's step. */
	public static final String STEP_PREFIX = "jms-listener-";

	private final ListableBeanFactory beanFactory;

	private final Map<MessageListenerContainer, String> names = new IdentityHashMap<>();

	/**
	 * Create the step for the JMS listener containers of a bean factory.
	 * @param participants the runner the containers join
	 * @param progress the record of the shutdown, whose start stops the containers
	 * @param beanFactory where the registry and the container beans are
	 */
	public JmsListenerShutdown(ParticipantRunner participants, ShutdownRecorder progress,
			ListableBeanFactory beanFactory) {
		super(participants, progress, STEP_PREFIX, "JMS");
		this.beanFactory = beanFactory;
	}

	@Override
	protected Collection<MessageListenerContainer> containers() {
		synchronized (this.names) {
			this.beanFactory.getBeanProvider(JmsListenerEndpointRegistry.class)
				.forEach((registry) -> registry.getListenerContainerIds()
					.forEach((id) -> add(registry.getListenerContainer(id), id)));
			this.beanFactory.getBeansOfType(MessageListenerContainer.class, false, false).forEach(
					(beanName, container) -> add(container, beanName));
			return this.names.keySet().stream().toList();
		}
	}

	private void add(@Nullable MessageListenerContainer container, String name) {
		if (container != null) {
			this.names.putIfAbsent(container, name);
		}
	}

	@Override
	protected void join(MessageListenerContainer container) {
		if (!(container instanceof AbstractMessageListenerContainer listenerContainer)
				|| listenerContainer.isRunning()) {
			return;
		}
		String name;
		synchronized (this.names) {
			name = this.names.get(container);
		}
		JmsMessageCounting counting = new JmsMessageCounting();
		Object listener = listenerContainer.getMessageListener();
		if (listener != null) {
			try {
				listenerContainer.setMessageListener(counting.wrap(listener));
			}
			catch (IllegalArgumentException ex) {
				// Interfaces a proxy cannot have (not visible from the listener's class
				// loader): the container keeps its listener, its step has no counts.
			}
		}
		addParticipant(name, new JmsListenerParticipant(listenerContainer, counting));
	}

	/**
	 * Just below the containers' own phase: started before them, stopped after them.
	 */
	@Override
	public int getPhase() {
		return Integer.MAX_VALUE - 1;
	}

}
