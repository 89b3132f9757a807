package dev.graceful.shutdown.sample;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Simulated work on Tomcat: {@code GET /work?ms=N} answers 200 after N milliseconds,
 * holding a request thread like a blocking call would.
 */
@RestController
@ConditionalOnWebApplication(type = Type.SERVLET)
class WorkController {

	private final WorkLog workLog;

	WorkController(WorkLog workLog) {
		this.workLog = workLog;
	}

	@GetMapping("/work")
	String work(@RequestParam(defaultValue = "0") long ms) throws InterruptedException {
		if (ms > 0) {
			Thread.sleep(ms);
		}
		this.workLog.recordWork();
		return "worked " + ms + " ms\n";
	}

}
