package dev.graceful.shutdown.tasks;

import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.scheduling.annotation.Async;

/**
 * Sends each mail on the {@code @Async} executor in 100 ms, counting the mails started,
 * sent and interrupted.
 */
public class Mailer {

	private final AtomicInteger started = new AtomicInteger();

	private final AtomicInteger sent = new AtomicInteger();

	private final AtomicInteger interrupted = new AtomicInteger();

	// Read through methods: the bean is a class-based proxy, whose fields are not the target's.
	public int startedCount() {
		return this.started.get();
	}

	public int sentCount() {
		return this.sent.get();
	}

	public int interruptedCount() {
		return this.interrupted.get();
	}

	@Async
	public void send() {
		this.started.incrementAndGet();
		try {
			Thread.sleep(100);
			this.sent.incrementAndGet();
		}
		catch (InterruptedException ex) {
			this.interrupted.incrementAndGet();
			Thread.currentThread().interrupt();
		}
	}

}
