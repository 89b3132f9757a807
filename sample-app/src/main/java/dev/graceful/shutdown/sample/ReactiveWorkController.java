package dev.graceful.shutdown.sample;

import java.time.Duration;

import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Simulated work on Reactor Netty: {@code GET /work?ms=N} answers 200 after N
 * milliseconds without blocking an event loop.
 */
@RestController
@ConditionalOnWebApplication(type = Type.REACTIVE)
class ReactiveWorkController {

	private final WorkLog workLog;

	ReactiveWorkController(WorkLog workLog) {
		this.workLog = workLog;
	}

	@GetMapping("/work")
	Mono<String> work(@RequestParam(defaultValue = "0") long ms) {
		// Always answered from a timer thread, also for ms=0: Reactor Netty 1.3.7 stops reading
		// a keep-alive connection on which a synchronously completed response follows a
		// delayed one (reactor/reactor-netty#4361), which a load test would see as hangs.
		return Mono.delay(Duration.ofMillis(ms)).map((tick) -> {
			this.workLog.recordWork();
			return "worked " + ms + " ms\n";
		});
	}

}
