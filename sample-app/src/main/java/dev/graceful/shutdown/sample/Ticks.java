package dev.graceful.shutdown.sample;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongPredicate;

import jakarta.annotation.PreDestroy;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The ticker behind the sample's streams: tick {@code n} is the same on every instance
 * ({@code "tick n"}), so a client that reconnects to another instance and resumes after
 * the last tick it saw ({@code Last-Event-ID}) continues without a gap or a duplicate.
 * One tick per {@code sample.ticker.interval} on each stream.
 */
@Component
class Ticks {

	private final Duration interval;

	// Not a Spring executor: the starter would keep it open until the background work is
	// done, and tickers never are.
	private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, (task) -> {
		Thread thread = new Thread(task, "ticker");
		thread.setDaemon(true);
		return thread;
	});

	Ticks(@Value("${sample.ticker.interval:1s}") Duration interval) {
		this.interval = interval;
	}

	static String tick(long n) {
		return "tick " + n;
	}

	Duration interval() {
		return this.interval;
	}

	/**
	 * Send ticks from {@code first} on, one per interval, until the sender says no more.
	 * @param first the first tick
	 * @param sender sends one tick, returns {@code false} once the stream has ended
	 * @return the schedule, to cancel when the stream ends
	 */
	ScheduledFuture<?> start(long first, LongPredicate sender) {
		long[] next = { first };
		ScheduledFuture<?>[] self = new ScheduledFuture<?>[1];
		ScheduledFuture<?> schedule = this.timer.scheduleAtFixedRate(() -> {
			if (!sender.test(next[0]++) && self[0] != null) {
				self[0].cancel(false);
			}
		}, 0, this.interval.toMillis(), TimeUnit.MILLISECONDS);
		self[0] = schedule;
		return schedule;
	}

	@PreDestroy
	void stop() {
		this.timer.shutdownNow();
	}

}
