package dev.graceful.shutdown.sample;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * A scheduled background job that takes a while. A run under way when the shutdown
 * starts is finished; no new run starts.
 */
@Component
class ReportJob {

	private static final Log logger = LogFactory.getLog(ReportJob.class);

	private final AtomicInteger runs = new AtomicInteger();

	private final long durationMillis;

	ReportJob(@Value("${sample.report-job.duration:1500ms}") Duration duration) {
		this.durationMillis = duration.toMillis();
	}

	@Scheduled(fixedDelayString = "${sample.report-job.interval:5s}", initialDelayString = "${sample.report-job.interval:5s}")
	void run() throws InterruptedException {
		int run = this.runs.incrementAndGet();
		logger.info("Report job run " + run + " started");
		Thread.sleep(this.durationMillis);
		logger.info("Report job run " + run + " finished");
	}

}
