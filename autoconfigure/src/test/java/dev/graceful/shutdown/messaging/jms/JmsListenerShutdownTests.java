package dev.graceful.shutdown.messaging.jms;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.artemis.autoconfigure.ArtemisAutoConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.jms.annotation.JmsListener;
import org.springframework.jms.config.JmsListenerEndpointRegistry;
import org.springframework.jms.config.SimpleJmsListenerContainerFactory;
import org.springframework.jms.core.JmsTemplate;
import org.springframework.jms.listener.DefaultMessageListenerContainer;
import org.springframework.jms.listener.SimpleMessageListenerContainer;

import dev.graceful.shutdown.ShutdownReport;
import dev.graceful.shutdown.ShutdownReport.Counts;
import dev.graceful.shutdown.ShutdownReport.Outcome;
import dev.graceful.shutdown.ShutdownReport.Phase;
import dev.graceful.shutdown.ShutdownReports;
import dev.graceful.shutdown.testsupport.ListenerApplications;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * JMS listener containers against a real broker (an embedded ActiveMQ Artemis broker in
 * the test's JVM, in a context of its own that outlives the applications, reached over
 * its in-VM connector): with the starter a default container stops when the shutdown
 * starts, beside the delay, finishes the message in its listener and starts no other;
 * the messages it did not process stay on the queue and the next application gets each
 * of them once; the same with a simple container. Spring Boot alone (the control) stops
 * a default container well too, in its own phase: the message in the listener finishes
 * and no other starts; with the starter's messaging off that phase comes before the
 * delay, which starts only when the message is done.
 */
@Timeout(240)
@EnabledIfSystemProperty(named = "graceful.tests.heavy", matches = "true")
class JmsListenerShutdownTests {

	private static final int MESSAGES = 30;

	/** The message the first application holds in its listener until the shutdown starts. */
	private static final int HELD = 5;

	private static final String SERVER_ID = "21";

	private static ConfigurableApplicationContext broker;

	private final ListenerApplications applications = new ListenerApplications();

	@BeforeAll
	static void startBroker() {
		broker = new SpringApplicationBuilder(Broker.class).web(WebApplicationType.NONE)
			.bannerMode(Banner.Mode.OFF)
			.run("--spring.artemis.mode=embedded", "--spring.artemis.embedded.enabled=true",
					"--spring.artemis.embedded.persistent=false",
					"--spring.artemis.embedded.server-id=" + SERVER_ID,
					"--spring.artemis.embedded.queues=jobs-graceful,jobs-simple,jobs-plain,jobs-off");
	}

	@AfterAll
	static void stopBroker() {
		if (broker != null) {
			broker.close();
		}
	}

	@AfterEach
	void closeContexts() {
		this.applications.close();
	}

	@Test
	void listenerStopsWithTheShutdownFinishesItsMessageAndLeavesTheRestOnTheQueue() throws Exception {
		handover("jobs-graceful", DefaultMessageListenerContainer.class);
	}

	@Test
	void simpleContainerStopsWithTheShutdownFinishesItsMessageAndLeavesTheRestOnTheQueue() throws Exception {
		handover("jobs-simple", SimpleMessageListenerContainer.class, "test.container=simple");
	}

	/**
	 * Send the messages, let a first application process five and hold the sixth in its
	 * listener until the shutdown has started, shut it down, and let a second application
	 * take the rest. The first one's report must count the message in its listener, and
	 * the second one get exactly the messages the first one did not process.
	 */
	private void handover(String queue, Class<?> containerType, String... properties) throws Exception {
		send(queue);
		List<String> first = new ArrayList<>(List.of(properties));
		first.add("graceful.shutdown.delay=3s");
		first.add("test.hold=" + HELD);
		ConfigurableApplicationContext context = run(queue, first.toArray(String[]::new));
		assertThat(context.getBean(JmsListenerEndpointRegistry.class).getListenerContainer("jobs"))
			.isInstanceOf(containerType);
		Jobs jobs = context.getBean(Jobs.class);
		jobs.awaitStarted(HELD + 1);
		long start = System.nanoTime();

		ShutdownReport report = ShutdownReports.close(context);

		long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		Phase listener = report.phase("jms-listener-jobs");
		Phase delay = report.phase("delay");
		int processed = jobs.processed.size();
		Jobs next = drain(queue, MESSAGES - processed, properties);
		List<String> all = new ArrayList<>(jobs.processed);
		all.addAll(next.processed);
		System.out.println("JMS " + queue + " with the starter: " + processed + " of " + MESSAGES
				+ " processed before exit, " + jobs.startedAfterClose + " started after the shutdown started, step "
				+ listener.startOffsetMs() + "+" + listener.durationMs() + " ms (delay " + delay.startOffsetMs() + "+"
				+ delay.durationMs() + " ms), counts " + listener.counts() + ", close " + closeMs
				+ " ms; the next application: " + next.processed.size() + " processed, " + next.redelivered
				+ " redelivered; " + (MESSAGES - new HashSet<>(all).size()) + " lost, "
				+ (all.size() - new HashSet<>(all).size()) + " duplicates");
		assertThat(jobs.startedAfterClose).hasValue(0);
		assertThat(processed).isEqualTo(HELD + 1);
		assertThat(listener.outcome()).isEqualTo(Outcome.COMPLETED);
		assertThat(listener.counts()).isEqualTo(new Counts(1, 1, 0, 0, 0));
		// Beside the delay, not after it.
		assertThat(listener.startOffsetMs()).isLessThan(delay.startOffsetMs() + delay.durationMs());
		assertThat(listener.startOffsetMs() + listener.durationMs())
			.isLessThan(delay.startOffsetMs() + delay.durationMs());
		assertThat(jobs.lastEnd).isBefore(report.startedAt().plusMillis(delay.startOffsetMs() + delay.durationMs()));
		assertThat(all).hasSize(MESSAGES);
		assertThat(new HashSet<>(all)).hasSize(MESSAGES);
	}

	@Test
	void withoutTheStarterSpringStopsTheListenerInItsOwnPhase() throws Exception {
		String queue = "jobs-plain";
		send(queue);
		ConfigurableApplicationContext context = run(queue, "graceful.shutdown.enabled=false", "test.hold=" + HELD);
		assertThat(context.containsBean("gracefulShutdownProgress")).isFalse();
		Jobs jobs = context.getBean(Jobs.class);
		jobs.awaitStarted(HELD + 1);
		long start = System.nanoTime();

		context.close();

		long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		int processed = jobs.processed.size();
		Jobs next = drain(queue, MESSAGES - processed);
		List<String> all = new ArrayList<>(jobs.processed);
		all.addAll(next.processed);
		System.out.println("JMS " + queue + ", Spring Boot alone: " + processed + " of " + MESSAGES
				+ " processed before exit, " + jobs.startedAfterClose + " started after the shutdown started, close "
				+ closeMs + " ms; the next application: " + next.processed.size() + " processed, "
				+ next.redelivered + " redelivered; " + (MESSAGES - new HashSet<>(all).size()) + " lost, "
				+ (all.size() - new HashSet<>(all).size()) + " duplicates");
		// A default container stops as well on its own: the message in the listener
		// finishes and no other starts, before anything else stops.
		assertThat(jobs.startedAfterClose).hasValue(0);
		assertThat(processed).isEqualTo(HELD + 1);
		assertThat(all).hasSize(MESSAGES);
		assertThat(new HashSet<>(all)).hasSize(MESSAGES);
	}

	@Test
	void withMessagingOffSpringStopsTheListenerBeforeTheDelay() throws Exception {
		String queue = "jobs-off";
		send(queue);
		ConfigurableApplicationContext context = run(queue, "graceful.shutdown.messaging.enabled=false",
				"graceful.shutdown.delay=3s", "test.hold=" + HELD);
		Jobs jobs = context.getBean(Jobs.class);
		jobs.awaitStarted(HELD + 1);
		long start = System.nanoTime();

		ShutdownReport report = ShutdownReports.close(context);

		long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		Phase delay = report.phase("delay");
		long lastEndMs = Duration.between(report.startedAt(), jobs.lastEnd).toMillis();
		int processed = jobs.processed.size();
		Jobs next = drain(queue, MESSAGES - processed);
		List<String> all = new ArrayList<>(jobs.processed);
		all.addAll(next.processed);
		System.out.println("JMS " + queue + ", the starter with messaging off: " + processed + " of " + MESSAGES
				+ " processed before exit, " + jobs.startedAfterClose
				+ " started after the shutdown started, the last one ended at " + lastEndMs + " ms, delay "
				+ delay.startOffsetMs() + "+" + delay.durationMs() + " ms, close " + closeMs
				+ " ms; the next application: " + next.processed.size() + " processed; "
				+ (MESSAGES - new HashSet<>(all).size()) + " lost, " + (all.size() - new HashSet<>(all).size())
				+ " duplicates");
		assertThat(report.phases()).noneMatch((phase) -> phase.name().startsWith(JmsListenerShutdown.STEP_PREFIX));
		assertThat(jobs.startedAfterClose).hasValue(0);
		// Spring stops the container first, and only then the delay starts: the message in
		// the listener holds the rest of the shutdown.
		assertThat(jobs.lastEnd).isBeforeOrEqualTo(report.startedAt().plusMillis(delay.startOffsetMs() + 1));
		assertThat(all).hasSize(MESSAGES);
		assertThat(new HashSet<>(all)).hasSize(MESSAGES);
	}

	/**
	 * Start a second application on the queue and let it process the messages left.
	 */
	private Jobs drain(String queue, int count, String... properties) throws InterruptedException {
		List<String> all = new ArrayList<>(List.of(properties));
		all.add("graceful.shutdown.delay=0");
		ConfigurableApplicationContext nextContext = run(queue, all.toArray(String[]::new));
		Jobs next = nextContext.getBean(Jobs.class);
		next.awaitProcessed(count);
		Thread.sleep(500);
		return next;
	}

	private ConfigurableApplicationContext run(String queue, String... properties) {
		return this.applications.run(JmsApplication.class, List.of("spring.artemis.mode=embedded",
				"spring.artemis.embedded.server-id=" + SERVER_ID, "test.queue=" + queue), properties);
	}

	private static void send(String queue) {
		ActiveMQConnectionFactory connectionFactory = new ActiveMQConnectionFactory("vm://" + SERVER_ID);
		try {
			JmsTemplate template = new JmsTemplate(connectionFactory);
			for (int i = 0; i < MESSAGES; i++) {
				template.convertAndSend(queue, Integer.toString(i));
			}
		}
		finally {
			connectionFactory.close();
		}
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@ImportAutoConfiguration(ArtemisAutoConfiguration.class)
	static class Broker {

	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class JmsApplication {

		@Bean
		Jobs jobs(@Value("${test.hold:}") String hold) {
			return new Jobs(hold);
		}

		@Bean
		@ConditionalOnProperty(name = "test.container", havingValue = "simple")
		SimpleJmsListenerContainerFactory jmsListenerContainerFactory(ConnectionFactory connectionFactory) {
			SimpleJmsListenerContainerFactory factory = new SimpleJmsListenerContainerFactory();
			factory.setConnectionFactory(connectionFactory);
			return factory;
		}

	}

	static class Jobs extends ListenerApplications.Jobs {

		private static final Duration PROCESSING = Duration.ofMillis(100);

		final AtomicInteger started = new AtomicInteger();

		final AtomicInteger redelivered = new AtomicInteger();

		volatile Instant lastEnd = Instant.MIN;

		private final String hold;

		Jobs(String hold) {
			this.hold = hold;
		}

		void awaitStarted(int count) throws InterruptedException {
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
			while (this.started.get() < count && System.nanoTime() < deadline) {
				Thread.sleep(20);
			}
			assertThat(this.started).hasValue(count);
		}

		@JmsListener(id = "jobs", destination = "${test.queue}")
		void on(String job, Message message) throws InterruptedException, JMSException {
			starting();
			this.started.incrementAndGet();
			if (job.equals(this.hold)) {
				// In the listener when the shutdown starts, and for a moment after.
				long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
				while (!isClosing() && System.nanoTime() < deadline) {
					Thread.sleep(10);
				}
				Thread.sleep(300);
			}
			Thread.sleep(PROCESSING.toMillis());
			this.processed.add(job);
			this.lastEnd = Instant.now();
			if (message.getJMSRedelivered()) {
				this.redelivered.incrementAndGet();
			}
		}

	}

}
