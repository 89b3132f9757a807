package dev.graceful.shutdown.metrics;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ApplicationEventMulticaster;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.support.AbstractApplicationContext;

import dev.graceful.shutdown.timeline.ShutdownLifecycle;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownTimeline;

/**
 * Keeps the meter registries open until the shutdown report is recorded. Spring Boot's
 * {@code MeterRegistryCloser} closes them on {@code ContextClosedEvent}, before the
 * delay, the drain and everything else, so push registries never publish what the
 * shutdown records. This takes that listener off the event multicaster once every
 * singleton exists, and hands it the event itself in the very last lifecycle phase,
 * after the summary.
 */
public final class DeferredMeterRegistryClosing extends ShutdownLifecycle implements SmartInitializingSingleton {

	/** Bean name of Spring Boot's closer. */
	static final String CLOSER_BEAN_NAME = "meterRegistryCloser";

	private static final Log logger = LogFactory.getLog(DeferredMeterRegistryClosing.class);

	private final ApplicationContext applicationContext;

	private volatile @Nullable ApplicationListener<ContextClosedEvent> closer;

	public DeferredMeterRegistryClosing(ApplicationContext applicationContext, ShutdownRecorder progress) {
		super(ShutdownTimeline.CLOSE_METER_REGISTRIES, progress);
		this.applicationContext = applicationContext;
	}

	@Override
	@SuppressWarnings("unchecked")
	public void afterSingletonsInstantiated() {
		if (!this.applicationContext.containsBean(CLOSER_BEAN_NAME) || !this.applicationContext
			.containsBean(AbstractApplicationContext.APPLICATION_EVENT_MULTICASTER_BEAN_NAME)) {
			return;
		}
		Object closer = this.applicationContext.getBean(CLOSER_BEAN_NAME);
		if (!(closer instanceof ApplicationListener<?> listener)) {
			return;
		}
		ApplicationEventMulticaster multicaster = this.applicationContext.getBean(
				AbstractApplicationContext.APPLICATION_EVENT_MULTICASTER_BEAN_NAME, ApplicationEventMulticaster.class);
		multicaster.removeApplicationListenerBean(CLOSER_BEAN_NAME);
		multicaster.removeApplicationListener(listener);
		this.closer = (ApplicationListener<ContextClosedEvent>) listener;
	}

	@Override
	protected void onShutdown() {
		ApplicationListener<ContextClosedEvent> closer = this.closer;
		if (closer != null) {
			try {
				closer.onApplicationEvent(new ContextClosedEvent(this.applicationContext));
			}
			catch (RuntimeException ex) {
				logger.warn("Closing the meter registries failed", ex);
			}
		}
	}

}
