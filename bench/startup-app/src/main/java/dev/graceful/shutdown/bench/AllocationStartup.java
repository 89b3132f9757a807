package dev.graceful.shutdown.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.core.metrics.ApplicationStartup;
import org.springframework.core.metrics.StartupStep;

/**
 * Spring's startup steps on the thread that starts the application, measured by the bytes
 * that thread allocates in each step less those of the steps inside it: what each bean,
 * the parsing of the configuration classes and each phase cost, in a figure that the
 * rest of the machine does not disturb. Steps of the same name and subject add up.
 */
final class AllocationStartup implements ApplicationStartup {

	private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory
		.getThreadMXBean();

	private final Thread thread = Thread.currentThread();

	private final Deque<Step> open = new ArrayDeque<>();

	private final Map<String, long[]> own = new LinkedHashMap<>();

	@Override
	public StartupStep start(String name) {
		if (Thread.currentThread() != this.thread) {
			return ApplicationStartup.DEFAULT.start(name);
		}
		Step step = new Step(name, this.open.peek());
		this.open.push(step);
		return step;
	}

	/**
	 * Print every step that allocated at least {@code minimum} bytes of its own, largest
	 * first, as {@code ALLOC <bytes> <count> <step> <subject>}, and the total.
	 * @param minimum the least bytes of a step to print it
	 */
	void print(long minimum) {
		List<Map.Entry<String, long[]>> steps = new ArrayList<>(this.own.entrySet());
		steps.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
		long total = 0;
		for (Map.Entry<String, long[]> step : steps) {
			total += step.getValue()[0];
			if (step.getValue()[0] >= minimum) {
				System.out.printf("ALLOC %10d %5d %s%n", step.getValue()[0], step.getValue()[1], step.getKey());
			}
		}
		System.out.printf("ALLOC %10d %5d (all steps)%n", total, steps.size());
	}

	private final class Step implements StartupStep {

		private final String name;

		private final @Nullable Step parent;

		private final long start = THREADS.getCurrentThreadAllocatedBytes();

		private long inner;

		private String subject = "";

		Step(String name, @Nullable Step parent) {
			this.name = name;
			this.parent = parent;
		}

		@Override
		public String getName() {
			return this.name;
		}

		@Override
		public long getId() {
			return 0;
		}

		@Override
		public @Nullable Long getParentId() {
			return null;
		}

		@Override
		public StartupStep tag(String key, String value) {
			if (key.equals("beanName") || key.equals("postProcessor")) {
				// Without what differs from run to run: identity hash codes, lambda names.
				String stable = value.replaceAll("@\\p{XDigit}+$", "").replaceAll("\\$\\$Lambda.*$", "\\$\\$Lambda");
				this.subject = this.subject + " " + key + "=" + stable;
			}
			return this;
		}

		@Override
		public StartupStep tag(String key, Supplier<String> value) {
			return tag(key, value.get());
		}

		@Override
		public Tags getTags() {
			return Collections::emptyIterator;
		}

		@Override
		public void end() {
			long total = THREADS.getCurrentThreadAllocatedBytes() - this.start;
			if (this.parent != null) {
				this.parent.inner += total;
			}
			AllocationStartup.this.open.remove(this);
			long[] sum = AllocationStartup.this.own.computeIfAbsent(this.name + this.subject, (key) -> new long[2]);
			sum[0] += total - this.inner;
			sum[1]++;
		}

	}

}
