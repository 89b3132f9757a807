package dev.graceful.shutdown.sample;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import com.rabbitmq.client.Channel;

import org.springframework.amqp.rabbit.annotation.Queue;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.support.AmqpHeaders;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.stereotype.Component;

/**
 * A RabbitMQ consumer with manual acks, on only with {@code sample.rabbit.enabled=true}
 * and a broker ({@code spring.rabbitmq.*}): each message (a job id) takes
 * {@code sample.rabbit.processing}, one whose id starts with {@code slow-} takes
 * {@code sample.rabbit.slow-processing}; each is appended to {@code sample.rabbit.log-file}
 * when it starts, as {@code START <id> <instance>}, and when it is done, before its ack,
 * as {@code <id> <instance> <started after the shutdown started: 0|1> <finished after it:
 * 0|1> <redelivered: 0|1>}. The starter makes its container a shutdown participant,
 * {@code rabbit-listener-rabbit-jobs}.
 */
@Component
@ConditionalOnBooleanProperty("sample.rabbit.enabled")
class RabbitJobListener implements ApplicationListener<ContextClosedEvent>, Ordered {

	private final Duration processing;

	private final Duration slowProcessing;

	private final String instance;

	private final JobLog log;

	private volatile boolean closing;

	RabbitJobListener(@Value("${sample.rabbit.processing:20ms}") Duration processing,
			@Value("${sample.rabbit.slow-processing:6s}") Duration slowProcessing,
			@Value("${sample.rabbit.instance:${spring.application.name}}") String instance,
			@Value("${sample.rabbit.log-file:${java.io.tmpdir}/graceful-shutdown-sample/rabbit-jobs.log}") Path log) {
		this.processing = processing;
		this.slowProcessing = slowProcessing;
		this.instance = instance;
		this.log = new JobLog(log);
	}

	@RabbitListener(id = "rabbit-jobs", queuesToDeclare = @Queue("${sample.rabbit.queue:jobs}"), ackMode = "MANUAL")
	void process(String id, Channel channel, @Header(AmqpHeaders.DELIVERY_TAG) long tag,
			@Header(AmqpHeaders.REDELIVERED) boolean redelivered) throws InterruptedException, IOException {
		boolean startedLate = this.closing;
		boolean slow = id.startsWith("slow-");
		if (slow) {
			this.log.append("START " + id + " " + this.instance);
		}
		Thread.sleep((slow ? this.slowProcessing : this.processing).toMillis());
		this.log.append(id + " " + this.instance + " " + (startedLate ? 1 : 0) + " " + (this.closing ? 1 : 0) + " "
				+ (redelivered ? 1 : 0));
		channel.basicAck(tag, false);
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
