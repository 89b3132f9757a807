package dev.graceful.shutdown.sample;

import java.time.Duration;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Stands for a slow dependency at startup (a cache warm-up, a schema migration): with
 * {@code sample.startup-delay} set, initialization takes that long, which shows what a
 * SIGTERM during startup does.
 */
@Component
class SlowStartup implements InitializingBean {

	private final Duration delay;

	SlowStartup(@Value("${sample.startup-delay:0s}") Duration delay) {
		this.delay = delay;
	}

	@Override
	public void afterPropertiesSet() throws InterruptedException {
		if (!this.delay.isZero()) {
			Thread.sleep(this.delay.toMillis());
		}
	}

}
