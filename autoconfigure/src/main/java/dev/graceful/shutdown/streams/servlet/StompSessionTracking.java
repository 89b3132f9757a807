package dev.graceful.shutdown.streams.servlet;

import java.util.Set;
import java.util.function.Supplier;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.SmartLifecycle;
import org.springframework.messaging.simp.broker.AbstractBrokerMessageHandler;
import org.springframework.messaging.simp.user.UserDestinationMessageHandler;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.config.annotation.WebSocketMessageBrokerConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketTransportRegistration;
import org.springframework.web.socket.handler.WebSocketHandlerDecorator;
import org.springframework.web.socket.messaging.SubProtocolWebSocketHandler;

import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.StreamSettings;

/**
 * Hands off STOMP sessions (Spring's {@code @EnableWebSocketMessageBroker}) like other
 * WebSocket sessions: tracked through a decorator of the sub-protocol handler, ended with
 * the listeners' messages (sent as they are: a listener writes STOMP frames) and a close
 * frame 1001 with the configured reason once the delay is over.
 * <p>
 * Spring stops the STOMP handler, its broker and its channels' executors in the default
 * lifecycle phase, the first to stop: it would close every session when the shutdown
 * starts, while the instance is still in the balancers' rotation, and stop delivering
 * messages during the delay. Those whose phase is the default are moved to
 * {@link #PHASE}, after the web server's graceful shutdown (where the delay and the
 * hand-off run) and before the web server stops; an application that set a phase of
 * its own ({@code WebSocketMessageBrokerConfigurer#getPhase}) keeps it.
 */
public final class StompSessionTracking implements BeanPostProcessor, WebSocketMessageBrokerConfigurer {

	/**
	 * The lifecycle phase STOMP's handler, broker and executors are moved to: between
	 * the web server's graceful shutdown and its stop.
	 */
	public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 1536;

	private static final Set<String> CHANNEL_EXECUTORS = Set.of("clientInboundChannelExecutor",
			"clientOutboundChannelExecutor", "brokerChannelExecutor");

	private final TrackedSessions sessions;

	/**
	 * Create the tracking.
	 * @param streams the open WebSocket sessions, looked up at the first session
	 * @param settings how streams are ended
	 */
	public StompSessionTracking(Supplier<OpenStreams> streams, Supplier<StreamSettings> settings) {
		this.sessions = new TrackedSessions(streams, settings);
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) {
		if (bean instanceof SubProtocolWebSocketHandler handler && handler.getPhase() == SmartLifecycle.DEFAULT_PHASE) {
			handler.setPhase(PHASE);
		}
		else if (bean instanceof AbstractBrokerMessageHandler broker
				&& broker.getPhase() == SmartLifecycle.DEFAULT_PHASE) {
			broker.setPhase(PHASE);
		}
		else if (bean instanceof UserDestinationMessageHandler handler
				&& handler.getPhase() == SmartLifecycle.DEFAULT_PHASE) {
			handler.setPhase(PHASE);
		}
		else if (bean instanceof ThreadPoolTaskExecutor executor && CHANNEL_EXECUTORS.contains(beanName)
				&& executor.getPhase() == SmartLifecycle.DEFAULT_PHASE) {
			executor.setPhase(PHASE);
		}
		return bean;
	}

	@Override
	public void configureWebSocketTransport(WebSocketTransportRegistration registration) {
		registration.addDecoratorFactory(TrackingDecorator::new);
	}

	private final class TrackingDecorator extends WebSocketHandlerDecorator {

		private TrackingDecorator(WebSocketHandler delegate) {
			super(delegate);
		}

		@Override
		public void afterConnectionEstablished(WebSocketSession session) throws Exception {
			StompSessionTracking.this.sessions.opening(session);
			super.afterConnectionEstablished(session);
			StompSessionTracking.this.sessions.ready(session);
		}

		@Override
		public void afterConnectionClosed(WebSocketSession session, CloseStatus closeStatus) throws Exception {
			try {
				super.afterConnectionClosed(session, closeStatus);
			}
			finally {
				StompSessionTracking.this.sessions.closed(session);
			}
		}

	}

}
