package dev.graceful.shutdown.sample;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.scheduling.annotation.Async;
import org.springframework.stereotype.Component;

/**
 * {@code @Async} work handed off by a request: sent even when the request arrives while
 * the application is shutting down.
 */
@Component
public class AsyncMailer {

	private static final Log logger = LogFactory.getLog(AsyncMailer.class);

	@Async
	public void send(String to, long ms) throws InterruptedException {
		Thread.sleep(ms);
		logger.info("Mail to " + to + " sent after " + ms + " ms");
	}

}
