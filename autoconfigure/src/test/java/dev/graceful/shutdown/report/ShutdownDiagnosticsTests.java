package dev.graceful.shutdown.report;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.graceful.shutdown.WorkTracker;
import dev.graceful.shutdown.tasks.WorkRegistry;
import dev.graceful.shutdown.timeline.ShutdownBudget;
import dev.graceful.shutdown.timeline.ShutdownRecorder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ShutdownDiagnostics}.
 */
class ShutdownDiagnosticsTests {

	private final ShutdownRecorder progress = new ShutdownRecorder(new ShutdownBudget(Duration.ofSeconds(30)));

	private final WorkRegistry tracker = new WorkRegistry(this.progress);

	private final ShutdownDiagnostics diagnostics = new ShutdownDiagnostics(this.progress, this.tracker, null, null);

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
