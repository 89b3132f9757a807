package dev.graceful.shutdown.timeline;

import org.springframework.context.SmartLifecycle;

/**
 * The shutdown timeline, top to bottom: every stage of the shutdown and the lifecycle
 * phase it runs in. On {@code context.close()} Spring stops lifecycle beans one phase at
 * a time, highest first; each step of the shutdown is a {@link ShutdownLifecycle} in the
 * phase of its stage, placed around Spring Boot's own web server drain.
 *
 * <pre>
 *   ContextClosedEvent  0 readiness   ShutdownStartListener: the shutdown starts,
 *                                     readiness is REFUSING_TRAFFIC; participants that
 *                                     start WITH_SHUTDOWN begin, beside what follows
 *                       0 discovery   DiscoveryDeregistration (with Spring Cloud): the
 *                                     service registrations are deregistered
 *   (lifecycle beans of higher phases stop here: message listener containers, ...)
 *   DELAY               1 delay       LameDuckDelay: keep serving while balancers notice
 *   DRAIN_START         2 drain       DrainMonitor: time the drain, cap it by the budget;
 *                                     participants that start AFTER_DELAY begin; the
 *                                     stream hand-off ends its streams first (spread
 *                                     + 2 s at most)
 *   (Spring Boot's web server drain: WebServerGracefulShutdownLifecycle)
 *   DRAIN_END             drain       DrainMonitor: count what the drain completed
 *   PARTICIPANTS          participants ParticipantRunner: wait for every participant
 *   TASKS               3 tasks       TaskDrain: wait for background work, then cancel
 *   CLEANUP             4 cleanup     CleanupRunner: @OnShutdown methods, one by one
 *   (other lifecycle beans of lower phases stop here)
 *   REPORT              5 report      ShutdownSummary: the report is complete, logged
 *   CLOSE_METER_REGISTRIES            DeferredMeterRegistryClosing: push what was recorded
 *   (then Spring destroys the beans: @PreDestroy)
 *   watchdog: from the JVM's exit, halts it at budget + margin (ShutdownWatchdog)
 * </pre>
 */
public enum ShutdownTimeline {

	/**
	 * The lame-duck delay: the web server keeps serving while readiness is down.
	 */
	DELAY(Phases.DRAIN + 2),

	/**
	 * Just before Spring Boot's web server drain: the drain's start is noted and its
	 * phase timeout capped by the budget; participants that start after the delay begin.
	 */
	DRAIN_START(Phases.DRAIN + 1),

	/**
	 * Just after Spring Boot's web server drain: what it completed and aborted.
	 */
	DRAIN_END(Phases.DRAIN - 1),

	/**
	 * The shutdown waits for every participant, each until its deadline at most. After
	 * the HTTP drain and before the background work, which participants may have started.
	 */
	PARTICIPANTS(Phases.DRAIN - 2),

	/**
	 * Background work: tracked executors and units of work, awaited, then cancelled.
	 */
	TASKS(Phases.DRAIN - 3),

	/**
	 * The cleanups, while every bean is still alive.
	 */
	CLEANUP(Phases.DRAIN - 4),

	/**
	 * The report: after every other lifecycle bean has stopped, but for the next stage.
	 */
	REPORT(Integer.MIN_VALUE + 1),

	/**
	 * The meter registries are closed (so push registries publish), last of all.
	 */
	CLOSE_METER_REGISTRIES(Integer.MIN_VALUE);

	/**
	 * Phase of Spring Boot's web server graceful shutdown, the HTTP drain. Same value as
	 * {@code WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE}, which is not on the
	 * class path of applications without a web server.
	 */
	public static final int WEB_SERVER_DRAIN_PHASE = Phases.DRAIN;

	private final int phase;

	ShutdownTimeline(int phase) {
		this.phase = phase;
	}

	/**
	 * Return the lifecycle phase of this stage.
	 * @return the phase
	 */
	public int phase() {
		return this.phase;
	}

	private static final class Phases {

		static final int DRAIN = SmartLifecycle.DEFAULT_PHASE - 1024;

	}

}
