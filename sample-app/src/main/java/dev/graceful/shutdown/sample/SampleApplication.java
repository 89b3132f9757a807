package dev.graceful.shutdown.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableAsync;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * A small service that shows what the graceful shutdown starter does. Stop it with
 * Ctrl+C or {@code kill -TERM} while a slow request is running and watch the log.
 */
@SpringBootApplication
@EnableAsync
@EnableScheduling
public class SampleApplication {

	public static void main(String[] args) {
		SpringApplication.run(SampleApplication.class, args);
	}

}
