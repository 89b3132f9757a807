package dev.graceful.shutdown.sample;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

/**
 * A Kafka consumer, on only with {@code sample.kafka.enabled=true} and a broker in
 * {@code spring.kafka.bootstrap-servers}: each record (a job id) takes
 * {@code sample.kafka.processing} and is then appended to {@code sample.kafka.log-file}
 * as {@code <id> <instance> <started after the shutdown started: 0|1> <finished after
 * it: 0|1>}, a log several instances can share. The starter makes its container a
 * shutdown participant, {@code kafka-listener-kafka-jobs}.
 */
@Component
@ConditionalOnBooleanProperty("sample.kafka.enabled")
class KafkaJobListener implements ApplicationListener<ContextClosedEvent>, Ordered {

	private final Duration processing;

	private final String instance;

	private final JobLog log;

	private volatile boolean closing;

	KafkaJobListener(@Value("${sample.kafka.processing:20ms}") Duration processing,
			@Value("${sample.kafka.instance:${spring.application.name}}") String instance,
			@Value("${sample.kafka.log-file:${java.io.tmpdir}/graceful-shutdown-sample/kafka-jobs.log}") Path log) {
		this.processing = processing;
		this.instance = instance;
		this.log = new JobLog(log);
	}

	@KafkaListener(id = "kafka-jobs", topics = "${sample.kafka.topic:jobs}",
			groupId = "${sample.kafka.group:graceful-sample}")
	void process(String id) throws InterruptedException {
		boolean startedLate = this.closing;
		Thread.sleep(this.processing.toMillis());
		this.log.append(id + " " + this.instance + " " + (startedLate ? 1 : 0) + " " + (this.closing ? 1 : 0));
	}

	@Override
	public void onApplicationEvent(ContextClosedEvent event) {
		this.closing = true;
	}

	@Override
	public int getOrder() {
		// Before the starter marks the shutdown started.
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
