package dev.graceful.shutdown.cleanup;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.testsupport.ChildJvm;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cleanup that calls {@code System.exit} during the shutdown (which blocks forever on
 * the JVM's shutdown lock) must not deadlock the shutdown. Only a real JVM exit shows
 * this, so the application runs in a child JVM.
 */
class SystemExitInCleanupTests {

	@Test
	void cleanupCallingSystemExitTimesOutAndTheJvmStillExits() throws Exception {
		// Startup of a child JVM on a loaded machine plus a 2 s cleanup timeout; a deadlock
		// would hold until the 22 s watchdog halt (exit code 124) or forever.
		String text = ChildJvm.run(SystemExitInCleanupApplication.class, Duration.ofSeconds(90));
		assertThat(text).contains("STARTED")
			.contains("CLEANUP exits TIMED_OUT did not finish within 2000 ms (it called System.exit, which blocks during shutdown); interrupted and abandoned")
			.contains("CLEANUP after-exit COMPLETED null")
			.contains("AFTER EXIT RAN")
			.contains("SHUTDOWN COMPLETE");
	}

}
