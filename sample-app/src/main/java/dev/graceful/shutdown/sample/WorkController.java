package dev.graceful.shutdown.sample;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Simulated work: {@code GET /work?ms=N} answers 200 after N milliseconds.
 */
@RestController
class WorkController {

	@GetMapping("/work")
	String work(@RequestParam(defaultValue = "0") long ms) throws InterruptedException {
		if (ms > 0) {
			Thread.sleep(ms);
		}
		return "worked " + ms + " ms\n";
	}

}
