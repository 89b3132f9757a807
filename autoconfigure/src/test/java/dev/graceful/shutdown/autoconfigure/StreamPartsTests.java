package dev.graceful.shutdown.autoconfigure;

import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.annotation.Order;

import dev.graceful.shutdown.ShutdownParticipant;
import dev.graceful.shutdown.StreamHandOffListener;
import dev.graceful.shutdown.streams.LastEvent;
import dev.graceful.shutdown.streams.OpenStreams;
import dev.graceful.shutdown.streams.StreamHandOff;
import dev.graceful.shutdown.streams.StreamMeters;
import dev.graceful.shutdown.streams.StreamSettings;
import dev.graceful.shutdown.streams.reactive.EventStreamHandOffFilter;
import dev.graceful.shutdown.streams.reactive.WebSocketHandlerAdapterTracking;
import dev.graceful.shutdown.streams.servlet.SseEmitterTracking;
import dev.graceful.shutdown.streams.servlet.StompSessionTracking;
import dev.graceful.shutdown.streams.servlet.WebSocketSessionTracking;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for the hand-off of streams that {@link GracefulShutdownAutoConfiguration} registers in
 * a servlet or reactive application (see {@link StreamPartsRegistrar}).
 */
class StreamPartsTests {

	private static final AutoConfigurations AUTO_CONFIGURATIONS = AutoConfigurations.of(
			GracefulShutdownAutoConfiguration.class);

	private final WebApplicationContextRunner servlet = new WebApplicationContextRunner()
		.withConfiguration(AUTO_CONFIGURATIONS);

	private final ReactiveWebApplicationContextRunner reactive = new ReactiveWebApplicationContextRunner()
		.withConfiguration(AUTO_CONFIGURATIONS);

	@Test
	void servletApplicationHandsOffSseStreamsAndWebSocketsAsParticipants() {
		this.servlet.run((context) -> {
			assertThat(context).hasSingleBean(SseEmitterTracking.class)
				.hasSingleBean(WebSocketSessionTracking.class)
				.hasSingleBean(StompSessionTracking.class)
				.hasBean(StreamHandOff.SSE)
				.hasBean(StreamHandOff.WEBSOCKETS);
			assertThat(context.getBean(StreamHandOff.SSE, ShutdownParticipant.class).shutdownStart())
				.isEqualTo(ShutdownParticipant.Start.AFTER_DELAY);
		});
	}

	@Test
	void reactiveApplicationHandsOffEventStreamsAndWebSockets() {
		this.reactive.run((context) -> assertThat(context).hasSingleBean(EventStreamHandOffFilter.class)
			.hasSingleBean(WebSocketHandlerAdapterTracking.class)
			.hasBean(StreamHandOff.SSE)
			.hasBean(StreamHandOff.WEBSOCKETS));
	}

	@Test
	void partsAreSingletonsAndOnlyTheSettingsAndMetersAreBeanDefinitions() {
		this.servlet.run((context) -> {
			ConfigurableListableBeanFactory beanFactory = context.getBeanFactory();
			RegisteredParts.assertSingletonsWithoutDefinitions(beanFactory, StreamHandOff.SSE, StreamHandOff.WEBSOCKETS,
					"gracefulShutdownSseEmitterTracking", "gracefulShutdownWebSocketSessionTracking",
					"gracefulShutdownStompSessionTracking");
			RegisteredParts.assertDefinitions(beanFactory, "gracefulShutdownStream", "gracefulShutdownStreamSettings",
					"gracefulShutdownStreamMeters");
		});
	}

	@Test
	void settingsHaveTheApplicationsListenersInOrder() {
		this.servlet.withUserConfiguration(Listeners.class)
			.run((context) -> assertThat(context.getBean(StreamSettings.class).listeners())
				.containsExactly(Listeners.FIRST, Listeners.SECOND));
	}

	@Test
	void backsOffToUserSettings() {
		this.servlet.withBean(StreamSettings.class, () -> new StreamSettings(null, "mine"))
			.run((context) -> assertThat(context.getBean(StreamSettings.class).closeReason()).isEqualTo("mine"));
	}

	@Test
	void metersOfAUserHandOffAreThoseOfTheApplicationsBean() {
		this.servlet.withUserConfiguration(UserHandOff.class).run((context) -> {
			MeterRegistry registry = new SimpleMeterRegistry();
			context.getBean(StreamMeters.class).bindTo(registry);
			OpenStreams.Stream stream = UserHandOff.HAND_OFF.streams().open((messages) -> true);
			try {
				assertThat(registry.get(StreamMeters.OPEN).tag("kind", "sse").gauge().value()).isEqualTo(1);
			}
			finally {
				stream.closed();
			}
		});
	}

	@Test
	void lastEventAndCloseReasonAreConfigurable() {
		this.servlet
			.withPropertyValues("graceful.shutdown.web.streams.last-event.name=bye",
					"graceful.shutdown.web.streams.last-event.data=elsewhere",
					"graceful.shutdown.web.streams.last-event.retry=250ms",
					"graceful.shutdown.web.streams.close-reason=moving")
			.run((context) -> {
				StreamSettings settings = context.getBean(StreamSettings.class);
				assertThat(settings.lastEvent()).isEqualTo(new LastEvent("bye", "elsewhere", Duration.ofMillis(250)));
				assertThat(settings.lastEvent().toText()).isEqualTo("event:bye\nretry:250\ndata:elsewhere\n\n");
				assertThat(settings.closeReason()).isEqualTo("moving");
			});
		this.servlet.withPropertyValues("graceful.shutdown.web.streams.last-event.enabled=false")
			.run((context) -> assertThat(context.getBean(StreamSettings.class).lastEvent()).isNull());
	}

	@Test
	void disabledByProperty() {
		this.servlet.withPropertyValues("graceful.shutdown.web.streams.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(StreamHandOff.class)
				.doesNotHaveBean(SseEmitterTracking.class)
				.doesNotHaveBean(WebSocketSessionTracking.class)
				.doesNotHaveBean(StompSessionTracking.class));
		this.servlet.withPropertyValues("graceful.shutdown.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(StreamHandOff.class));
	}

	@Test
	void notConfiguredOutsideWebApplications() {
		new ApplicationContextRunner().withConfiguration(AUTO_CONFIGURATIONS)
			.run((context) -> assertThat(context).doesNotHaveBean(StreamHandOff.class));
	}

	@Test
	void withoutSpringWebSocketOnlySseStreamsAreHandedOff() {
		this.servlet.withClassLoader(new FilteredClassLoader("org.springframework.web.socket."))
			.run((context) -> assertThat(context).hasBean(StreamHandOff.SSE)
				.doesNotHaveBean(StreamHandOff.WEBSOCKETS)
				.doesNotHaveBean(WebSocketSessionTracking.class));
	}

	@Test
	void stompSessionsOnlyWithSpringMessaging() {
		this.servlet.withClassLoader(new FilteredClassLoader("org.springframework.messaging."))
			.run((context) -> assertThat(context).hasSingleBean(WebSocketSessionTracking.class)
				.doesNotHaveBean(StompSessionTracking.class));
	}

	@Test
	void metersOnlyWithMicrometer() {
		this.servlet.run((context) -> assertThat(context).hasSingleBean(StreamMeters.class));
		this.servlet.withClassLoader(new FilteredClassLoader("io.micrometer."))
			.run((context) -> assertThat(context).doesNotHaveBean(StreamMeters.class).hasBean(StreamHandOff.SSE));
	}

	@Test
	void backsOffToUserHandOff() {
		this.servlet.withUserConfiguration(UserHandOff.class)
			.run((context) -> assertThat(context.getBean(StreamHandOff.SSE)).isSameAs(UserHandOff.HAND_OFF));
	}

	@Test
	void negativeSpreadFailsAtStartup() {
		this.servlet.withPropertyValues("graceful.shutdown.web.streams.spread=-1s")
			.run((context) -> assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
				.isInstanceOf(InvalidShutdownPropertyException.class)
				.hasMessageContaining("graceful.shutdown.web.streams.spread"));
	}

	@Test
	void spreadThatTheBudgetCannotHoldFailsAtStartup() {
		this.servlet.withPropertyValues("graceful.shutdown.web.streams.spread=15s")
			.run((context) -> assertThat(NestedExceptionUtils.getMostSpecificCause(context.getStartupFailure()))
				.isInstanceOf(InvalidShutdownPropertyException.class)
				.hasMessageContaining("graceful.shutdown.web.streams.spread")
				.hasMessageContaining("15s"));
		this.servlet.withPropertyValues("graceful.shutdown.web.streams.spread=14s")
			.run((context) -> assertThat(context).hasNotFailed());
	}

	@Configuration(proxyBeanMethods = false)
	static class Listeners {

		static final StreamHandOffListener FIRST = (stream) -> {
		};

		static final StreamHandOffListener SECOND = (stream) -> {
		};

		@Bean
		@Order(2)
		StreamHandOffListener second() {
			return SECOND;
		}

		@Bean
		@Order(1)
		StreamHandOffListener first() {
			return FIRST;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserHandOff {

		static final StreamHandOff HAND_OFF = new StreamHandOff(StreamHandOff.SSE, new OpenStreams(StreamHandOffListener.Kind.SSE, "mine"),
				Duration.ZERO);

		@Bean(StreamHandOff.SSE)
		StreamHandOff sseStreams() {
			return HAND_OFF;
		}

	}

}
