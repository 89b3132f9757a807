package dev.graceful.shutdown.budget;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.ShutdownProgress;
import dev.graceful.shutdown.WorkTracker;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ShutdownDiagnostics}.
 */
class ShutdownDiagnosticsTests {

	private final ShutdownProgress progress = new ShutdownProgress();

	private final WorkTracker tracker = new WorkTracker(this.progress);

	private final ShutdownDiagnostics diagnostics = new ShutdownDiagnostics(this.progress, this.tracker, null);

	@AfterEach
	void removeFromTheWatchdog() {
		this.diagnostics.destroy();
	}

	@Test
	void namesTheThreadOfRunningWorkAndSaysWhenAHandOffWaitsForItsThread() {
		this.progress.begin();
		try (WorkTracker.Work running = this.tracker.start("import");
				WorkTracker.Work waiting = this.tracker.handOff(() -> "mail")) {
			String line = this.diagnostics.describe();
			assertThat(line).contains("2 unit(s) of background work")
				.containsPattern("'import' for \\d+ ms on " + Thread.currentThread().getName())
				.containsPattern("'mail' for \\d+ ms waiting for its thread");
		}
	}

}
