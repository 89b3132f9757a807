package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

import dev.graceful.shutdown.testsupport.RawHttp;

/**
 * A non-retrying HTTP/1.1 load client: each worker holds one keep-alive connection and
 * sends {@code GET /work?ms=N} requests one after the other, reconnecting only when a
 * response says {@code Connection: close}. Every request that does not end in a complete
 * 2xx response with the expected body counts as failed; nothing is retried. Besides the
 * totals it counts, per {@value #BUCKET_MS} ms since the start, the requests that
 * completed and failed then, to draw the rollout over time.
 */
final class KeepAliveLoad {

	private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

	private static final int MAX_RECORDED_FAILURES = 30;

	/** Width of one bucket of {@link Result#buckets()}, in milliseconds. */
	static final int BUCKET_MS = 250;

	private final int port;

	private final long startNanos = System.nanoTime();

	private final long hardDeadlineNanos;

	private volatile boolean stopping;

	private final LongAdder sent = new LongAdder();

	private final LongAdder ok = new LongAdder();

	private final LongAdder failed = new LongAdder();

	private final Map<String, LongAdder> okByGroup = new LinkedHashMap<>();

	private final AtomicLongArray okPerBucket;

	private final AtomicLongArray failedPerBucket;

	private final AtomicInteger failureCount = new AtomicInteger();

	private final List<String> failures = new CopyOnWriteArrayList<>();

	private final List<Thread> threads = new ArrayList<>();

	private final CountDownLatch finished;

	private KeepAliveLoad(int port, List<Group> groups, Duration maxDuration) {
		this.port = port;
		this.hardDeadlineNanos = this.startNanos + maxDuration.toNanos();
		this.finished = new CountDownLatch(groups.stream().mapToInt(Group::workers).sum());
		// A request sent just before the deadline may take up to the read timeout to end.
		int buckets = (int) ((maxDuration.plus(READ_TIMEOUT).toMillis() + BUCKET_MS - 1) / BUCKET_MS) + 1;
		this.okPerBucket = new AtomicLongArray(buckets);
		this.failedPerBucket = new AtomicLongArray(buckets);
		for (Group group : groups) {
			LongAdder groupOk = new LongAdder();
			this.okByGroup.put(group.name(), groupOk);
			for (int i = 1; i <= group.workers(); i++) {
				String name = "load-" + group.name() + "-" + i;
				Thread thread = new Thread(() -> work(name, group, groupOk), name);
				thread.setDaemon(true);
				this.threads.add(thread);
			}
		}
	}

	/**
	 * Start sending.
	 * @param port the port of 127.0.0.1 to send to
	 * @param groups the kinds of workers
	 * @param maxDuration stop sending after this long even if {@link #stop} is never
	 * called
	 * @return the running load
	 */
	static KeepAliveLoad start(int port, List<Group> groups, Duration maxDuration) {
		KeepAliveLoad load = new KeepAliveLoad(port, groups, maxDuration);
		load.threads.forEach(Thread::start);
		return load;
	}

	/**
	 * Return the time since the load started, the clock of {@link Result#failures()}.
	 * @return milliseconds since the start
	 */
	long elapsedMs() {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - this.startNanos);
	}

	/**
	 * Stop sending new requests, wait for the last responses and count.
	 * @param timeout how long to wait for the workers at most
	 * @return the counts
	 * @throws InterruptedException if interrupted while waiting
	 */
	Result stop(Duration timeout) throws InterruptedException {
		this.stopping = true;
		boolean allFinished = this.finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
		Map<String, Long> okByGroup = new LinkedHashMap<>();
		this.okByGroup.forEach((name, count) -> okByGroup.put(name, count.sum()));
		long durationMs = elapsedMs();
		return new Result(this.sent.sum(), this.ok.sum(), this.failed.sum(), okByGroup, List.copyOf(this.failures),
				allFinished, durationMs, buckets(durationMs));
	}

	private List<Bucket> buckets(long durationMs) {
		int last = Math.min(bucket(durationMs), this.okPerBucket.length() - 1);
		// Workers still running after a stop timeout may count later; take everything there is.
		for (int i = this.okPerBucket.length() - 1; i > last; i--) {
			if (this.okPerBucket.get(i) != 0 || this.failedPerBucket.get(i) != 0) {
				last = i;
				break;
			}
		}
		List<Bucket> buckets = new ArrayList<>(last + 1);
		for (int i = 0; i <= last; i++) {
			buckets.add(new Bucket((long) i * BUCKET_MS, this.okPerBucket.get(i), this.failedPerBucket.get(i)));
		}
		return buckets;
	}

	private int bucket(long ms) {
		return (int) Math.min(ms / BUCKET_MS, this.okPerBucket.length() - 1);
	}

	private void work(String name, Group group, LongAdder groupOk) {
		RawHttp.Connection connection = null;
		try {
			while (!this.stopping && System.nanoTime() - this.hardDeadlineNanos < 0) {
				int ms = ThreadLocalRandom.current().nextInt(group.minMs(), group.maxMs() + 1);
				String expected = "worked " + ms + " ms\n";
				boolean fresh = (connection == null);
				int previous = fresh ? 0 : connection.exchanges();
				long sentAt = elapsedMs();
				this.sent.increment();
				String failure;
				try {
					if (connection == null) {
						connection = new RawHttp(this.port).withReadTimeout(READ_TIMEOUT).open();
					}
					RawHttp.Response response = connection.get("/work?ms=" + ms);
					if (response.status() / 100 != 2) {
						failure = "status " + response.status() + " " + response.headers() + " "
								+ oneLine(response.body());
					}
					else if (!response.body().equals(expected)) {
						failure = "unexpected body '" + oneLine(response.body()) + "'";
					}
					else {
						failure = null;
					}
					if (response.closesConnection()) {
						connection.close();
						connection = null;
					}
				}
				catch (IOException | RuntimeException ex) {
					failure = ex.toString();
					if (connection != null) {
						connection.close();
						connection = null;
					}
				}
				int bucket = bucket(elapsedMs());
				if (failure == null) {
					this.ok.increment();
					this.okPerBucket.incrementAndGet(bucket);
					groupOk.increment();
				}
				else {
					this.failed.increment();
					this.failedPerBucket.incrementAndGet(bucket);
					recordFailure(name, ms, fresh, previous, sentAt, failure);
					// A real client backs off a little too; and a hot loop would starve the servers on 2 cores.
					SampleAppProcess.sleep(Duration.ofMillis(20));
				}
			}
		}
		finally {
			if (connection != null) {
				connection.close();
			}
			this.finished.countDown();
		}
	}

	private void recordFailure(String worker, int ms, boolean fresh, int previous, long sentAt, String failure) {
		if (this.failureCount.incrementAndGet() <= MAX_RECORDED_FAILURES) {
			String on = fresh ? "a new connection" : "a connection after " + previous + " exchange(s)";
			this.failures.add(String.format("sent +%d ms, failed +%d ms: %s ms=%d on %s: %s", sentAt, elapsedMs(),
					worker, ms, on, failure));
		}
	}

	private static String oneLine(String text) {
		String line = text.replace('\n', ' ').replace('\r', ' ').trim();
		return (line.length() > 200) ? line.substring(0, 200) + "..." : line;
	}

	/**
	 * One kind of worker.
	 *
	 * @param name the name of the group, used in counts and thread names
	 * @param workers how many workers (connections)
	 * @param minMs the least work per request, in milliseconds
	 * @param maxMs the most work per request, in milliseconds
	 */
	record Group(String name, int workers, int minMs, int maxMs) {
	}

	/**
	 * The requests that ended in one stretch of time.
	 *
	 * @param startMs the start of the stretch, in milliseconds since the load started; it
	 * lasts {@value KeepAliveLoad#BUCKET_MS} ms
	 * @param ok requests that ended then with a complete 2xx response and the expected
	 * body
	 * @param failed requests that failed then
	 */
	record Bucket(long startMs, long ok, long failed) {
	}

	/**
	 * What the load did.
	 *
	 * @param sent requests sent (or attempted, when the connection could not be opened)
	 * @param ok requests answered with a complete 2xx response and the expected body
	 * @param failed all other requests
	 * @param okByGroup successful requests per worker group
	 * @param failures descriptions of the first failures, with times on the
	 * {@link KeepAliveLoad#elapsedMs()} clock
	 * @param allFinished whether every worker finished within the stop timeout
	 * @param durationMs how long the load ran
	 * @param buckets the requests that ended in each {@value KeepAliveLoad#BUCKET_MS} ms
	 * since the start, by when they ended, without gaps
	 */
	record Result(long sent, long ok, long failed, Map<String, Long> okByGroup, List<String> failures,
			boolean allFinished, long durationMs, List<Bucket> buckets) {
	}

}
