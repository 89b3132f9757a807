package dev.graceful.shutdown.sample;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import dev.graceful.shutdown.ShutdownParticipant;

/**
 * A polling consumer, standing for one that takes messages from a broker: worker threads
 * take jobs from a queue ({@code GET /jobs?count=N&ms=M} puts N jobs of M ms each) and
 * run them one at a time. As a {@link ShutdownParticipant} it stops taking jobs the
 * moment the shutdown starts, beside the lame-duck delay, finishes the jobs it has
 * taken, and reports those it never took as handed back (a broker would deliver them to
 * another instance). Its workers are daemon threads, as a client library's often are:
 * without the starter they die with the JVM, in the middle of their jobs.
 */
@Component("job-consumer")
class JobConsumer implements ShutdownParticipant {

	private static final Log logger = LogFactory.getLog(JobConsumer.class);

	private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();

	private final AtomicInteger running = new AtomicInteger();

	private final AtomicInteger completed = new AtomicInteger();

	private final List<Thread> workers = new ArrayList<>();

	private volatile boolean polling = true;

	JobConsumer(@Value("${sample.job-consumer.workers:2}") int workers) {
		for (int i = 1; i <= workers; i++) {
			Thread worker = new Thread(this::work, "job-worker-" + i);
			worker.setDaemon(true);
			worker.start();
			this.workers.add(worker);
		}
	}

	/**
	 * Queue jobs.
	 * @param count how many
	 * @param duration how long each takes
	 */
	void submit(int count, Duration duration) {
		for (int i = 0; i < count; i++) {
			this.queue.add(new Job(duration.toMillis()));
		}
	}

	Stats stats() {
		return new Stats(this.queue.size(), this.running.get(), this.completed.get());
	}

	private void work() {
		while (this.polling) {
			Job job;
			try {
				job = this.queue.poll(100, TimeUnit.MILLISECONDS);
			}
			catch (InterruptedException ex) {
				return;
			}
			if (job == null) {
				continue;
			}
			this.running.incrementAndGet();
			try {
				Thread.sleep(job.millis());
				logger.info("Job of " + job.millis() + " ms completed (" + this.completed.incrementAndGet()
						+ " completed)");
			}
			catch (InterruptedException ex) {
				logger.info("Job of " + job.millis() + " ms interrupted");
				return;
			}
			finally {
				this.running.decrementAndGet();
			}
		}
	}

	@Override
	public Start shutdownStart() {
		// Jobs do not come through the load balancer: stop taking them at once.
		return Start.WITH_SHUTDOWN;
	}

	@Override
	public void stopAccepting(Context context) {
		this.polling = false;
		int left = this.queue.size();
		context.handedBack(left);
		logger.info("Job consumer stopped taking jobs: " + this.running.get() + " running, " + left
				+ " left for another instance");
	}

	@Override
	public long inFlight() {
		return this.running.get();
	}

	@Override
	public void cancel() {
		this.workers.forEach(Thread::interrupt);
	}

	private record Job(long millis) {
	}

	/**
	 * What the consumer has done.
	 *
	 * @param queued jobs waiting to be taken
	 * @param running jobs being run
	 * @param completed jobs completed
	 */
	record Stats(int queued, int running, int completed) {
	}

}
