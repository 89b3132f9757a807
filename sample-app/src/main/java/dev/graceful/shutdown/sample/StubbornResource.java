package dev.graceful.shutdown.sample;

import jakarta.annotation.PreDestroy;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;

/**
 * With {@code sample.stubborn-destroy=true}: a {@code @PreDestroy} that never returns and
 * ignores interrupts, like a client library stuck in a native call. Spring has no bound
 * on it; the watchdog ends the process when the budget is spent, with a thread dump that
 * points here.
 */
@Component
@ConditionalOnBooleanProperty("sample.stubborn-destroy")
class StubbornResource {

	private static final Log logger = LogFactory.getLog(StubbornResource.class);

	@PreDestroy
	void close() {
		logger.info("Closing the stubborn resource (this never returns)");
		while (true) {
			try {
				Thread.sleep(1000);
			}
			catch (InterruptedException ex) {
				logger.info("Interrupted, ignoring it");
			}
		}
	}

}
