package dev.graceful.shutdown.sample;

import java.time.Duration;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Jobs for the {@link JobConsumer}: {@code GET /jobs?count=N&ms=M} queues N jobs of M ms
 * each; {@code GET /jobs/stats} tells how many are queued, running and completed.
 */
@RestController
class JobController {

	private final JobConsumer consumer;

	JobController(JobConsumer consumer) {
		this.consumer = consumer;
	}

	@GetMapping("/jobs")
	@ResponseStatus(HttpStatus.ACCEPTED)
	String submit(@RequestParam(defaultValue = "4") int count, @RequestParam(defaultValue = "1000") long ms) {
		this.consumer.submit(count, Duration.ofMillis(ms));
		return count + " job(s) of " + ms + " ms queued\n";
	}

	@GetMapping("/jobs/stats")
	JobConsumer.Stats stats() {
		return this.consumer.stats();
	}

}
