package dev.graceful.shutdown.sample;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;

import dev.graceful.shutdown.OnShutdown;

/**
 * Two cleanups that go wrong, to show that neither stops the others: one throws, one
 * hangs past its timeout. Both run before {@link WorkLog#flush()} (lower order), and the
 * flush still happens. Switched off with {@code sample.misbehaving-cleanups=false}.
 */
@Component
@ConditionalOnBooleanProperty(name = "sample.misbehaving-cleanups", matchIfMissing = true)
class MisbehavingCleanups {

	@OnShutdown(name = "audit-log.close", order = -2)
	void closeAuditLog() {
		throw new IllegalStateException("audit log connection already closed");
	}

	@OnShutdown(name = "metrics.final-push", order = -1, timeout = "500ms")
	void pushFinalMetrics() throws InterruptedException {
		// A remote call that never answers.
		Thread.sleep(60_000);
	}

}
