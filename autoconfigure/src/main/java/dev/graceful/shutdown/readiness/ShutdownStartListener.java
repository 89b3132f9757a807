package dev.graceful.shutdown.readiness;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;

import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.timeline.ShutdownRecorder;
import dev.graceful.shutdown.timeline.ShutdownRecording;

/**
 * Starts the shutdown when the application context closes: before any other listener
 * sees the {@link ContextClosedEvent}, it marks the shutdown as started (from then on
 * responses carry {@code Connection: close}) and makes sure readiness reports
 * {@link ReadinessState#REFUSING_TRAFFIC}. Liveness is left alone: a shutting-down
 * instance is not broken and must not be restarted.
 */
public final class ShutdownStartListener implements ApplicationListener<ContextClosedEvent>, Ordered {

	/** Name of the step in the report. */
	public static final String STEP = "readiness";

	private static final Log logger = LogFactory.getLog(ShutdownStartListener.class);

	private final ShutdownRecorder progress;

	private final ApplicationContext applicationContext;

	private final ObjectProvider<ApplicationAvailability> availability;

	/**
	 * Create a listener.
	 * @param progress the record of the shutdown
	 * @param applicationContext the context whose closing starts the shutdown
	 * @param availability the application's availability, looked up when the shutdown
	 * starts
	 */
	public ShutdownStartListener(ShutdownRecorder progress, ApplicationContext applicationContext,
			ObjectProvider<ApplicationAvailability> availability) {
		this.progress = progress;
		this.applicationContext = applicationContext;
		this.availability = availability;
	}

	@Override
	public void onApplicationEvent(ContextClosedEvent event) {
		// A child context (a separate management server, say) closing is not our shutdown.
		if (event.getApplicationContext() == this.applicationContext) {
			this.progress.begin(this::refuseTrafficStep);
		}
	}

	private void refuseTrafficStep() {
		long start = this.progress.stepStarted(STEP);
		String detail = refuseTraffic();
		ShutdownRecording.stepEnded(this.progress, STEP, start, Outcome.COMPLETED, detail);
		logger.info("Graceful shutdown started: readiness is REFUSING_TRAFFIC (" + detail + "), liveness unchanged");
	}

	private String refuseTraffic() {
		ApplicationAvailability availability = this.availability.getIfAvailable();
		if (availability == null) {
			return "no ApplicationAvailability bean";
		}
		// Spring Boot publishes REFUSING_TRAFFIC itself for web server contexts only.
		if (availability.getReadinessState() == ReadinessState.REFUSING_TRAFFIC) {
			return "published by Spring Boot";
		}
		AvailabilityChangeEvent.publish(this.applicationContext, ReadinessState.REFUSING_TRAFFIC);
		return "published on shutdown start";
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
