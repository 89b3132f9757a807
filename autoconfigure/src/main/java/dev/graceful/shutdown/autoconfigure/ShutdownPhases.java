package dev.graceful.shutdown.autoconfigure;

import org.springframework.context.SmartLifecycle;

/**
 * Lifecycle phases of the shutdown steps. Spring stops higher phases first, one phase at
 * a time, so the steps run in the order listed here, around Spring Boot's web server
 * drain.
 */
final class ShutdownPhases {

	/**
	 * Spring Boot's web server graceful shutdown (the HTTP drain). Same value as
	 * {@code WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE}, which is not on the
	 * classpath of applications without a web server.
	 */
	static final int DRAIN = SmartLifecycle.DEFAULT_PHASE - 1024;

	/** The lame-duck delay, before the drain starts. */
	static final int DELAY = DRAIN + 2;

	/** Waiting for background work, after the drain. */
	static final int TASKS = DRAIN - 2;

	/** The cleanups, after the drain and the background work. */
	static final int CLEANUP = DRAIN - 3;

	private ShutdownPhases() {
	}

}
