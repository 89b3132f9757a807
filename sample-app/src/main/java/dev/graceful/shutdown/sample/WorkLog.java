package dev.graceful.shutdown.sample;

import java.util.concurrent.atomic.AtomicLong;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.stereotype.Component;

import dev.graceful.shutdown.OnShutdown;

/**
 * A buffer of finished work, flushed by a cleanup once the last request has been served:
 * the normal case of {@link OnShutdown @OnShutdown}.
 */
@Component
public class WorkLog {

	private static final Log logger = LogFactory.getLog(WorkLog.class);

	private final AtomicLong pending = new AtomicLong();

	void recordWork() {
		this.pending.incrementAndGet();
	}

	@OnShutdown(name = "work-log.flush")
	void flush() {
		logger.info("Flushed " + this.pending.getAndSet(0) + " work record(s)");
	}

}
