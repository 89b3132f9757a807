package dev.graceful.shutdown.messaging.kafka;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

import org.springframework.kafka.listener.RecordInterceptor;

/**
 * Counts a container's records: those in the listener now, and, once the container is
 * stopping, those its consumers polled but never gave the listener (handed back: not
 * committed, so the partition's next owner gets them). Wraps the interceptor the
 * container already had.
 * <p>
 * What a consumer polled and did not start is, per partition, its position (the offset
 * after the last record its polls returned) less the offset it commits (the one after the
 * last record its listener finished, or the group's committed offset if it finished none
 * since): the container has no hook that sees a whole poll of a record listener.
 */
final class RecordCounting<K, V> implements RecordInterceptor<K, V> {

	private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(5);

	private final @Nullable RecordInterceptor<K, V> delegate;

	private final BooleanSupplier stopping;

	private final @Nullable AsyncListenerTracking async;

	/**
	 * Records in the listener, or handed by it to an asynchronous result that has not
	 * completed: one count per record, so a record is never counted twice while it passes
	 * from the listener to its result.
	 */
	private final AtomicLong inFlight = new AtomicLong();

	/** Set on the consumer's thread when the record in the listener went to a result. */
	private final ThreadLocal<Boolean> toResult = new ThreadLocal<>();

	/** The offset after the last record finished, per partition. */
	private final Map<TopicPartition, Long> finished = new ConcurrentHashMap<>();

	/** Records polled and not started, per consumer, once stopping. */
	private final Map<Consumer<?, ?>, Long> notStarted = new ConcurrentHashMap<>();

	RecordCounting(@Nullable RecordInterceptor<K, V> delegate, BooleanSupplier stopping,
			@Nullable AsyncListenerTracking async) {
		this.delegate = delegate;
		this.stopping = stopping;
		this.async = async;
	}

	/**
	 * Return the records in flight: in the listener, or handed by it to an asynchronous
	 * result that has not completed.
	 * @return the number in flight
	 */
	long inFlight() {
		return this.inFlight.get();
	}

	/**
	 * The listener, on the consumer's thread, returned an asynchronous result for the
	 * record in it: the record stays in flight until {@link #asyncEnded()}.
	 */
	void asyncStarted() {
		this.toResult.set(Boolean.TRUE);
	}

	void asyncEnded() {
		this.inFlight.decrementAndGet();
	}

	long handedBack() {
		return this.notStarted.values().stream().mapToLong(Long::longValue).sum();
	}

	@Override
	public @Nullable ConsumerRecord<K, V> intercept(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
		ConsumerRecord<K, V> intercepted = (this.delegate != null) ? this.delegate.intercept(record, consumer) : record;
		if (intercepted != null) {
			this.inFlight.incrementAndGet();
			if (this.async != null) {
				this.async.enter(this);
			}
		}
		return intercepted;
	}

	@Override
	public void success(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
		if (this.delegate != null) {
			this.delegate.success(record, consumer);
		}
	}

	@Override
	public void failure(ConsumerRecord<K, V> record, Exception exception, Consumer<K, V> consumer) {
		if (this.delegate != null) {
			this.delegate.failure(record, exception, consumer);
		}
	}

	@Override
	public void afterRecord(ConsumerRecord<K, V> record, Consumer<K, V> consumer) {
		try {
			if (this.delegate != null) {
				this.delegate.afterRecord(record, consumer);
			}
		}
		finally {
			if (this.async != null) {
				this.async.exit();
			}
			this.finished.merge(new TopicPartition(record.topic(), record.partition()), record.offset() + 1, Math::max);
			if (this.toResult.get() != null) {
				this.toResult.remove();
			}
			else {
				this.inFlight.decrementAndGet();
			}
		}
	}

	@Override
	public void setupThreadState(Consumer<?, ?> consumer) {
		if (this.delegate != null) {
			this.delegate.setupThreadState(consumer);
		}
	}

	@Override
	public void clearThreadState(Consumer<?, ?> consumer) {
		try {
			if (this.delegate != null) {
				this.delegate.clearThreadState(consumer);
			}
		}
		finally {
			// After each poll's records, on the consumer's thread. Once the container is
			// stopping, the consumer stops after the current record and what its poll
			// returned beyond it is not committed. The last call for a consumer counts.
			if (this.stopping.getAsBoolean()) {
				this.notStarted.put(consumer, notStarted(consumer));
			}
		}
	}

	private long notStarted(Consumer<?, ?> consumer) {
		try {
			Set<TopicPartition> assignment = consumer.assignment();
			if (assignment.isEmpty()) {
				return 0;
			}
			Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(assignment, LOOKUP_TIMEOUT);
			long count = 0;
			for (TopicPartition partition : assignment) {
				OffsetAndMetadata offset = committed.get(partition);
				long next = Math.max(this.finished.getOrDefault(partition, -1L), (offset != null) ? offset.offset() : -1);
				long position = consumer.position(partition, LOOKUP_TIMEOUT);
				if (next >= 0 && position > next) {
					count += position - next;
				}
			}
			return count;
		}
		catch (RuntimeException ex) {
			// A consumer that cannot say (closed, fenced, timed out): nothing is counted.
			return 0;
		}
	}

}
