package dev.graceful.shutdown.autoconfigure;

import java.util.List;
import java.util.StringJoiner;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.BeanFactory;
import org.springframework.boot.context.event.ApplicationStartedEvent;
import org.springframework.context.ApplicationListener;

import dev.graceful.shutdown.cleanup.CleanupRegistry;
import dev.graceful.shutdown.discovery.DiscoveryPropagation;
import dev.graceful.shutdown.participant.ParticipantRunner;
import dev.graceful.shutdown.timeline.ShutdownPlan;

/**
 * Logs the planned shutdown timeline once the application has started, with the grace
 * period the platform must allow for it, and warns when the delay ends before callers
 * that find the instance through service discovery can have noticed it left.
 */
final class ShutdownPlanLogger implements ApplicationListener<ApplicationStartedEvent> {

	private static final Log logger = LogFactory.getLog(ShutdownPlanLogger.class);

	/** The discovery auto-configuration's bean name, its class's name (not named by its literal: loaded then). */
	static final String DISCOVERY_AUTO_CONFIGURATION = "dev.graceful.shutdown.autoconfigure."
			+ "GracefulShutdownDiscoveryAutoConfiguration";

	private final ShutdownPlan plan;

	private final CleanupRegistry cleanups;

	private final ParticipantRunner participants;

	private final BeanFactory beanFactory;

	/**
	 * Create the logger.
	 * @param plan the plan
	 * @param cleanups the cleanups
	 * @param participants the shutdown participants
	 * @param beanFactory where the discovery deregistration is looked up once the
	 * application has started, if the application has it, so that an application without
	 * it does not load its class at startup (no method of this class names it in its
	 * signature either: Spring's reflection over the class would load it)
	 */
	ShutdownPlanLogger(ShutdownPlan plan, CleanupRegistry cleanups, ParticipantRunner participants,
			BeanFactory beanFactory) {
		this.plan = plan;
		this.cleanups = cleanups;
		this.participants = participants;
		this.beanFactory = beanFactory;
	}

	@Override
	public void onApplicationEvent(ApplicationStartedEvent event) {
		logger.info(describe());
		String warning = discoveryWarning();
		if (warning != null) {
			logger.warn(warning);
		}
	}

	@Nullable String discoveryWarning() {
		if (!hasDiscovery()) {
			return null;
		}
		DiscoveryPropagation discovery = this.beanFactory.getBeanProvider(DiscoveryPropagation.class).getIfAvailable();
		return (discovery != null) ? discovery.warning(this.plan.delay()) : null;
	}

	private String discovery() {
		if (!hasDiscovery()) {
			return "";
		}
		DiscoveryPropagation discovery = this.beanFactory.getBeanProvider(DiscoveryPropagation.class).getIfAvailable();
		DiscoveryPropagation.Estimate estimate = (discovery != null) ? discovery.estimate() : null;
		if (estimate == null) {
			return "";
		}
		return "leave " + estimate.registry() + " first (callers may keep sending up to " + estimate.total().toMillis()
				+ " ms after), ";
	}

	/**
	 * Whether the discovery auto-configuration is part of the application (a bean named
	 * after its class, as every auto-configuration is). Only then is the discovery
	 * deregistration's propagation looked up: a lookup by its type loads the type, which an
	 * application without service discovery never needs.
	 */
	private boolean hasDiscovery() {
		return this.beanFactory.containsBean(DISCOVERY_AUTO_CONFIGURATION);
	}

	String describe() {
		ShutdownPlan plan = this.plan;
		List<ParticipantRunner.Status> participants = this.participants.participants();
		// A loop rather than a stream: a lambda's method that took a status would make
		// Spring's reflection over this bean's class load that class at startup.
		StringJoiner named = new StringJoiner(", ");
		for (ParticipantRunner.Status participant : participants) {
			named.add(participant.name() + " " + participant.start());
		}
		String beside = participants.isEmpty() ? ""
				: ", beside them " + participants.size() + " participant(s) (" + named + ") up to "
						+ ((plan.participantsTimeout() != null) ? plan.participantsTimeout().toMillis() + " ms"
								: "what the budget allows");
		return "Graceful shutdown plan: " + discovery() + "delay " + plan.delay().toMillis() + " ms"
				+ ((plan.quietPeriod() != null) ? " (ends after " + plan.quietPeriod().toMillis() + " ms quiet)" : "")
				+ ", drain up to " + plan.maxDrain().toMillis() + " ms, tasks up to " + plan.tasksTimeout().toMillis()
				+ " ms, " + this.cleanups.planned().size() + " cleanup(s) up to " + plan.cleanupTimeout().toMillis()
				+ " ms each" + beside + "; budget " + plan.budget().toMillis() + " ms"
				+ ((plan.watchdogMargin() != null) ? " + " + plan.watchdogMargin().toMillis() + " ms watchdog margin"
						: "")
				+ ": needs terminationGracePeriodSeconds >= " + plan.requiredGracePeriodSeconds();
	}

}
