package dev.graceful.shutdown.tasks;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableAsync;

/**
 * {@code @Async} enabled, with a {@link Mailer} and a {@link LateMailer} that uses it.
 */
@Configuration(proxyBeanMethods = false)
@EnableAsync
public class LateMailConfiguration {

	@Bean
	Mailer mailer() {
		return new Mailer();
	}

	@Bean
	LateMailer lateMailer(Mailer mailer) {
		return new LateMailer(mailer);
	}

}
