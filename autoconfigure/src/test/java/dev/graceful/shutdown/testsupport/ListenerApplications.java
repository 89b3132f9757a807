package dev.graceful.shutdown.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the Kafka and RabbitMQ listener tests share: the test applications they start, and
 * the jobs their listeners record.
 */
public final class ListenerApplications implements AutoCloseable {

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	/**
	 * Start a servlet application on a random port, closed with this.
	 * @param application the application's configuration
	 * @param brokerProperties how the application reaches the broker
	 * @param properties the test's own properties
	 * @return the running application
	 */
	public ConfigurableApplicationContext run(Class<?> application, List<String> brokerProperties,
			String... properties) {
		List<String> all = new ArrayList<>(brokerProperties);
		all.add("server.port=0");
		all.addAll(List.of(properties));
		ConfigurableApplicationContext context = new SpringApplicationBuilder(application)
			.web(WebApplicationType.SERVLET)
			.bannerMode(Banner.Mode.OFF)
			.properties(all.toArray(String[]::new))
			.run();
		this.contexts.add(context);
		return context;
	}

	/**
	 * Keep a context started otherwise, to be closed with this.
	 * @param context the context
	 */
	public void add(ConfigurableApplicationContext context) {
		this.contexts.add(context);
	}

	@Override
	public void close() {
		this.contexts.forEach(ConfigurableApplicationContext::close);
	}

	/**
	 * The jobs of a test's listener: the ones it processed, and how many it started after
	 * the shutdown had started.
	 */
	public abstract static class Jobs {

		/** The jobs processed, in order. */
		public final List<String> processed = new CopyOnWriteArrayList<>();

		/** How many jobs the listener started after the context began to close. */
		public final AtomicInteger startedAfterClose = new AtomicInteger();

		private volatile boolean closing;

		/**
		 * Called by the listener first: counts a job started after the close began.
		 */
		protected final void starting() {
			if (this.closing) {
				this.startedAfterClose.incrementAndGet();
			}
		}

		/**
		 * Return whether the context began to close.
		 * @return whether it is closing
		 */
		protected final boolean isClosing() {
			return this.closing;
		}

		/**
		 * Note that the context began to close, before anything else hears of it.
		 * @param event the context's close
		 */
		@EventListener
		@Order(Ordered.HIGHEST_PRECEDENCE)
		public void closing(ContextClosedEvent event) {
			this.closing = true;
		}

		/**
		 * Wait up to a minute until at least so many jobs are processed.
		 * @param count how many
		 * @throws InterruptedException if interrupted
		 */
		public void awaitProcessed(int count) throws InterruptedException {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
			while (this.processed.size() < count && System.nanoTime() < deadline) {
				Thread.sleep(20);
			}
			assertThat(this.processed).hasSizeGreaterThanOrEqualTo(count);
		}

	}

}
