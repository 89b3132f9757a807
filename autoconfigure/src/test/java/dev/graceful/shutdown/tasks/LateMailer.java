package dev.graceful.shutdown.tasks;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.core.task.TaskRejectedException;

import static org.awaitility.Awaitility.await;

/**
 * Hands off ten {@code @Async} mails in the middle of the shutdown, as a request served
 * during the delay or the drain would: on a one-thread executor one runs, the others wait
 * in the queue.
 */
public class LateMailer extends StopAction {

	public static final int MAILS = 10;

	public final AtomicInteger accepted = new AtomicInteger();

	public final AtomicInteger rejected = new AtomicInteger();

	/**
	 * Whether to wait, once the mails are handed off, until every accepted one has started.
	 */
	public volatile boolean awaitStartedBeforeTheTasksStep;

	private final Mailer mailer;

	public LateMailer(Mailer mailer) {
		this.mailer = mailer;
	}

	@Override
	protected void onStop() {
		for (int i = 0; i < MAILS; i++) {
			try {
				this.mailer.send();
				this.accepted.incrementAndGet();
			}
			catch (TaskRejectedException ex) {
				this.rejected.incrementAndGet();
			}
		}
		if (this.awaitStartedBeforeTheTasksStep) {
			await().atMost(Duration.ofSeconds(10)).until(() -> this.mailer.startedCount() == this.accepted.get());
		}
	}

}
